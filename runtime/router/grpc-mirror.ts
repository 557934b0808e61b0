// Shadow copies of unpinned ModelInfer calls. A unary call's first message is the whole
// request, already read for routing, so the copy is that buffer sent to the mirror version;
// its answer is read and thrown away. Copies beyond a bound in flight or a size limit are
// skipped and counted, as for REST.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { BackendSessions } from './grpc-sessions.ts';
import { MIRROR_HEADER } from './mirror.ts';
import type { ProxyTarget } from './proxy.ts';

export interface GrpcMirror {
  inFlight: number;
  readonly maxInFlight: number;
  readonly maxBodyBytes: number;
}

/** Sends a copy of a unary call (its buffered request) to the mirror target. */
export function copyToMirror(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  path: string,
  request: Buffer,
  ended: boolean,
  target: ProxyTarget,
  mirror: GrpcMirror,
  sessions: BackendSessions,
): void {
  const { backend, metrics } = target;
  if (backend.grpcUrl === undefined) return;
  if (mirror.inFlight >= mirror.maxInFlight) return metrics.mirrorFailed('overloaded');
  if (request.length > mirror.maxBodyBytes) return metrics.mirrorFailed('too_large');
  if (!ended && stream.destroyed) return metrics.mirrorFailed('client_aborted');
  mirror.inFlight++;
  const started = performance.now();
  const copyHeaders: Record<string, string | string[]> = {
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    [MIRROR_HEADER]: 'true',
  };
  const timeout = headers['grpc-timeout'];
  if (typeof timeout === 'string') copyHeaders['grpc-timeout'] = timeout;
  let finished = false;
  const finish = (code: string | undefined, failed: boolean) => {
    if (finished) return;
    finished = true;
    mirror.inFlight--;
    if (failed) metrics.mirrorFailed('unavailable');
    else metrics.mirrored(code, (performance.now() - started) / 1000);
  };
  const copy = sessions.get(backend.grpcUrl).request(copyHeaders);
  let code: string | undefined;
  copy.on('response', (answer) => {
    code = answer['grpc-status'] as string | undefined;
  });
  copy.on('trailers', (trailers) => {
    code = trailers['grpc-status'] as string | undefined;
  });
  copy.on('end', () => finish(`grpc-${code ?? 'none'}`, false));
  copy.on('error', () => finish(undefined, true));
  copy.resume();
  copy.end(request);
}
