// Shadow traffic. The request body is copied as it streams to the primary backend (never
// held back from it); once the client's body is complete, the copy goes to the mirror
// version and its answer is read and thrown away. The client's response never waits on the
// mirror, and a slow or failing mirror only shows in metrics: copies beyond a bounded
// number in flight, or beyond the bytes all copies may hold together, are skipped and
// counted; a copy the mirror has not answered within its own (short) timeout is cut, so a
// hung mirror frees its slots and bytes instead of holding them for the backend timeout.
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
  /** Whole-exchange deadline of one copy, from sending to the end of the mirror's answer. */
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  /** Bytes of request bodies all copies in flight may hold together. */
  readonly maxBufferedBytes: number;
  /** Largest answer kept to compare with the live one. */
  readonly maxComparedBytes: number;
}

/** Bytes held by copies in flight, shared by every copy. */
interface Held {
  bytes: number;
}

/** Sends copies of requests to a mirror backend within a bound on copies in flight. */
export interface Mirror {
  /** Sends a copy of `req`; its answer goes to `answered` (for comparison), or is discarded. */
  copy(req: IncomingMessage, target: ProxyTarget, answered?: AnswerSink): void;
}

/** Creates the mirror sender. */
export function createMirror(settings: MirrorSettings): Mirror {
  let inFlight = 0;
  const held: Held = { bytes: 0 };
  return {
    copy(req, { backend, metrics }, answered) {
      // A copy never sent is not the mirror's fault: its comparison is dropped, not failed.
      const skip = (reason: MirrorSkip) => {
        metrics.mirrorFailed(reason);
        metrics.compared({ kind: 'skipped' });
      };
      if (inFlight >= settings.maxInFlight) return skip('overloaded');
      inFlight++;
      collectBody(req, held, settings.maxBufferedBytes, (body) => {
        if (typeof body === 'string') {
          inFlight--;
          return skip(body);
        }
        send(
          req,
          body,
          backend,
          metrics,
          settings,
          () => {
            inFlight--;
            held.bytes -= body.length;
          },
          answered,
        );
      });
    },
  };
}

/**
 * Collects the body alongside the primary pipe, charging each chunk to `held`; yields a skip
 * reason instead (and gives its bytes back) when the budget cannot take it.
 */
function collectBody(req: IncomingMessage, held: Held, maxBytes: number, then: (body: Buffer | MirrorSkip) => void): void {
  let chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (body: Buffer | MirrorSkip) => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    if (typeof body === 'string') held.bytes -= size;
    chunks = [];
    then(body);
  };
  const onData = (chunk: Buffer) => {
    if (held.bytes + chunk.length > maxBytes) return settle(size + chunk.length > maxBytes ? 'too_large' : 'over_budget');
    held.bytes += chunk.length;
    size += chunk.length;
    chunks.push(chunk);
  };
  req.on('data', onData);
  req.once('end', () => settle(Buffer.concat(chunks, size)));
  req.once('close', () => settle('client_aborted'));
}

function send(
  req: IncomingMessage,
  body: Buffer,
  backend: Backend,
  metrics: VersionMetrics,
  settings: MirrorSettings,
  done: () => void,
  answered?: AnswerSink,
): void {
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
    clearTimeout(deadline);
    done();
    if (error !== undefined) {
      metrics.mirrorFailed(classifyFailure(error));
      answered?.(undefined, undefined);
    } else metrics.mirrored(code, (performance.now() - started) / 1000);
  };
  const copy = request({
    agent: settings.agent,
    hostname: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers,
  });
  // A deadline, not an idle timeout: a mirror that never reads the body is idle for no socket timer.
  const deadline = setTimeout(() => copy.destroy(timeoutError(settings.timeoutMs)), settings.timeoutMs);
  deadline.unref();
  copy.on('response', (answer) => {
    answer.on('error', (error) => finish(undefined, error));
    answer.on('end', () => finish(answer.statusCode));
    if (answered !== undefined) keepAnswer(answer, settings.maxComparedBytes, answered);
    else answer.resume();
  });
  copy.on('error', (error) => finish(undefined, error));
  copy.end(body);
}
