// Shadow traffic. The request body is copied as it streams to the primary backend (never
// held back from it); once the client's body is complete, the copy goes to the mirror
// version and its answer is read and thrown away. The client's response never waits on the
// mirror, and a slow or failing mirror only shows in metrics: copies beyond a bounded
// number in flight, or bodies beyond a size limit, are skipped and counted.
import { request } from 'node:http';
import type { Agent, IncomingMessage } from 'node:http';
import type { MirrorSkip, VersionMetrics } from './metrics.ts';
import { classifyFailure, forwardedRequestHeaders, keepAnswer, timeoutError } from './proxy.ts';
import type { ProxyTarget } from './proxy.ts';
import type { AnswerSink } from './shadow.ts';
import type { Backend } from './table.ts';

/** Marks copies so a backend can tell shadow traffic from live traffic. */
export const MIRROR_HEADER = 'x-kubeinfer-mirror';

export interface MirrorSettings {
  readonly agent: Agent;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly maxBodyBytes: number;
  /** Largest answer kept to compare with the live one. */
  readonly maxComparedBytes: number;
}

/** Sends copies of requests to a mirror backend within a bound on copies in flight. */
export interface Mirror {
  /** Sends a copy of `req`; its answer goes to `answered` (for comparison), or is discarded. */
  copy(req: IncomingMessage, target: ProxyTarget, answered?: AnswerSink): void;
}

/** Creates the mirror sender. */
export function createMirror(settings: MirrorSettings): Mirror {
  let inFlight = 0;
  return {
    copy(req, { backend, metrics }, answered) {
      // A copy never sent is not the mirror's fault: its comparison is dropped, not failed.
      const skip = (reason: MirrorSkip) => (metrics.mirrorFailed(reason), metrics.compared({ kind: 'skipped' }));
      if (inFlight >= settings.maxInFlight) return skip('overloaded');
      inFlight++;
      collectBody(req, settings.maxBodyBytes, (body) => {
        if (typeof body === 'string') {
          inFlight--;
          return skip(body);
        }
        send(req, body, backend, metrics, settings, () => inFlight--, answered);
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

function send(req: IncomingMessage, body: Buffer, backend: Backend, metrics: VersionMetrics, settings: MirrorSettings, done: () => void, answered?: AnswerSink): void {
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
    if (error !== undefined) {
      metrics.mirrorFailed(classifyFailure(error));
      answered?.(undefined, undefined);
    } else metrics.mirrored(code, (performance.now() - started) / 1000);
  };
  const copy = request({ agent: settings.agent, hostname: backend.hostname, port: backend.port, method: req.method, path: req.url, headers });
  copy.setTimeout(settings.timeoutMs, () => copy.destroy(timeoutError(settings.timeoutMs)));
  copy.on('response', (answer) => {
    answer.on('error', (error) => finish(undefined, error));
    answer.on('end', () => finish(answer.statusCode));
    if (answered !== undefined) keepAnswer(answer, settings.maxComparedBytes, answered);
    else answer.resume();
  });
  copy.on('error', (error) => finish(undefined, error));
  copy.end(body);
}
