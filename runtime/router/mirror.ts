// Shadow traffic. The request body is copied as it streams to the primary backend (never
// held back from it); once the client's body is complete, the copy goes to the mirror
// version and its answer is read and thrown away. The client's response never waits on the
// mirror, and a slow or failing mirror only shows in metrics: copies beyond a bounded
// number in flight, or bodies beyond a size limit, are skipped and counted.
import { request } from 'node:http';
import type { Agent, IncomingMessage } from 'node:http';
import type { MirrorSkip, VersionMetrics } from './metrics.ts';
import { classifyFailure, forwardedRequestHeaders, timeoutError } from './proxy.ts';
import type { ProxyTarget } from './proxy.ts';
import type { Backend } from './table.ts';

/** Marks copies so a backend can tell shadow traffic from live traffic. */
export const MIRROR_HEADER = 'x-kubeinfer-mirror';

export interface MirrorSettings {
  readonly agent: Agent;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly maxBodyBytes: number;
}

/** Sends copies of requests to a mirror backend within a bound on copies in flight. */
export interface Mirror {
  copy(req: IncomingMessage, target: ProxyTarget): void;
}

/** Creates the mirror sender. */
export function createMirror(settings: MirrorSettings): Mirror {
  let inFlight = 0;
  return {
    copy(req, { backend, metrics }) {
      if (inFlight >= settings.maxInFlight) return metrics.mirrorFailed('overloaded');
      inFlight++;
      collectBody(req, settings.maxBodyBytes, (body) => {
        if (typeof body === 'string') {
          inFlight--;
          return metrics.mirrorFailed(body);
        }
        send(req, body, backend, metrics, settings, () => inFlight--);
      });
    },
  };
}

/** Collects the body alongside the primary pipe; yields a skip reason instead when it cannot. */
function collectBody(req: IncomingMessage, maxBytes: number, then: (body: Buffer | MirrorSkip) => void): void {
  let chunks: Buffer[] | undefined = [];
  let size = 0;
  let settled = false;
  const settle = (body: Buffer | MirrorSkip) => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    then(body);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      chunks = undefined;
      return settle('too_large');
    }
    chunks!.push(chunk);
  };
  req.on('data', onData);
  req.once('end', () => settle(Buffer.concat(chunks ?? [])));
  req.once('close', () => settle('client_aborted'));
}

function send(req: IncomingMessage, body: Buffer, backend: Backend, metrics: VersionMetrics, settings: MirrorSettings, done: () => void): void {
  const started = performance.now();
  // A shadow version is not where the caller meant its credentials to go.
  const headers = forwardedRequestHeaders(req, backend, true);
  delete headers['transfer-encoding'];
  headers['content-length'] = body.length;
  headers[MIRROR_HEADER] = 'true';
  let finished = false;
  const finish = (code: number | undefined, error?: NodeJS.ErrnoException) => {
    if (finished) return;
    finished = true;
    done();
    if (error !== undefined) metrics.mirrorFailed(classifyFailure(error));
    else metrics.mirrored(code, (performance.now() - started) / 1000);
  };
  const copy = request({ agent: settings.agent, hostname: backend.hostname, port: backend.port, method: req.method, path: req.url, headers });
  copy.setTimeout(settings.timeoutMs, () => copy.destroy(timeoutError(settings.timeoutMs)));
  copy.on('response', (answer) => {
    answer.on('error', (error) => finish(undefined, error));
    answer.on('end', () => finish(answer.statusCode));
    answer.resume();
  });
  copy.on('error', (error) => finish(undefined, error));
  copy.end(body);
}
