// Real HTTP peers for router tests: tiny node:http backends that answer like a model
// version (and record what they got), and a keep-alive client that drives load.
import { Agent, createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface TestBackend {
  readonly version: string;
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export type BackendBehaviour = (req: IncomingMessage, body: Buffer, res: ServerResponse, version: string) => void;

/** Answers like a model version: binary bodies echoed byte for byte, JSON naming the version. */
export const modelLike: BackendBehaviour = (req, body, res, version) => {
  const binaryHeader = req.headers['inference-header-content-length'];
  if (binaryHeader !== undefined) {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': binaryHeader,
      'content-length': body.length,
    });
    return void res.end(body);
  }
  const text = JSON.stringify({ model_name: 'm', model_version: version, method: req.method, path: req.url, received: body.length });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/** Starts a backend for `version` on loopback (port 0 unless given, e.g. to come back on the same port). */
export async function startBackend(version: string, behaviour: BackendBehaviour = modelLike, port = 0): Promise<TestBackend> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      behaviour(req, body, res, version);
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return {
    version,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One HTTP request; network errors reject. */
export function send(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string; agent?: Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends `count` requests with `concurrency` workers over keep-alive; never rejects. */
export async function sendMany(
  count: number,
  concurrency: number,
  next: (i: number) => Parameters<typeof send>,
): Promise<(Answer | Error)[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const results: (Answer | Error)[] = new Array(count);
  let issued = 0;
  const worker = async () => {
    while (issued < count) {
      const i = issued++;
      const [url, options] = next(i);
      results[i] = await send(url, { ...options, agent }).catch((error: Error) => error);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return results;
}

/** Counts answers by the version header the router sets. */
export function countByVersion(answers: readonly (Answer | Error)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer instanceof Error ? 'error' : String(answer.headers['x-kubeinfer-version'] ?? `status-${answer.status}`);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Reads one sample value from Prometheus text, matching every given label. */
export function metricValue(text: string, name: string, labels: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
