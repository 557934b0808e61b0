// The router's gRPC side: an h2c proxy for Triton's GRPCInferenceService. A call is routed
// by the `x-kubeinfer-version` metadata key or by its first message's leading fields (a
// model-scoped request's model name and version), read without decoding any tensor; the
// rest of the call streams through unchanged, frames and trailers included. A stream is
// routed as a whole. Health checks are answered here.
import {
  constants,
  createServer,
  type ClientHttp2Stream,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { status } from '@grpc/grpc-js';
import { auditCall, checkCall, forwardedMetadata, guarded, type CallOutcome, type GrpcAccess, type GrpcCall } from './grpc-access.ts';
import { copyToMirror, type GrpcMirror } from './grpc-mirror.ts';
import { BackendSessions } from './grpc-sessions.ts';
import { firstMessage, frame, leadingFields, statusHeaders } from './grpc-wire.ts';
import type { ProxyTarget } from './proxy.ts';
import { VERSION_HEADER, pickVersion, type PathTarget, type Route } from './route.ts';
import type { RoutingTable } from './table.ts';
import type { HopSpan, Tracing } from '../tracing/tracing.ts';
import { continuedHeaders, startHop } from './hop.ts';

const INFERENCE_PREFIX = '/inference.GRPCInferenceService/';
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
/** Requests whose fields 1 and 2 are the model name and version. */
const MODEL_SCOPED = new Set(['ModelInfer', 'ModelStreamInfer', 'ModelReady', 'ModelMetadata', 'ModelConfig', 'ModelStatistics']);
const INFERENCE = new Set(['ModelInfer', 'ModelStreamInfer']);
/** Headers that belong to one hop (HTTP/2 refuses the connection-specific ones outright). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);
/** The router's own HTTP statuses as gRPC statuses. */
const REJECTION_CODE: Readonly<Record<number, number>> = { 400: status.INVALID_ARGUMENT, 404: status.NOT_FOUND, 503: status.UNAVAILABLE };

export interface GrpcRouterState {
  readonly table: () => RoutingTable | undefined;
  readonly closing: () => boolean;
  /** Counts a call in and out, so the router's drain waits for gRPC calls too. */
  readonly begin: () => void;
  readonly end: () => void;
  readonly mirror: GrpcMirror;
  /** Who may call (the HTTP port's guard) and the audit log. */
  readonly access: GrpcAccess;
  /** Span export; undefined when tracing is off. */
  readonly tracing?: Tracing | undefined;
}

export interface GrpcRouter {
  readonly port: number;
  /** Stops accepting connections and closes every session, ours to the backends included. */
  close(): void;
}

/** Whether the client's stream can still be answered (it may have gone away at any point). */
function open(stream: ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed;
}

function answerStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (!open(stream) || stream.headersSent) return;
  stream.respond(statusHeaders(code, message), { endStream: true });
  stream.resume();
}

/** grpc.health.v1 Check for the router itself: SERVING once configured and not shutting down. */
function answerHealth(stream: ServerHttp2Stream, state: GrpcRouterState, service: string): void {
  if (service !== '' && service !== 'inference.GRPCInferenceService')
    return answerStatus(stream, status.NOT_FOUND, `unknown service '${service}'`);
  const serving = state.table() !== undefined && !state.closing();
  if (!open(stream)) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(frame(Uint8Array.of(0x08, serving ? 1 : 2)));
}

/** Reads the call's first message (or its end), then hands over what was read. */
function readFirst(stream: ServerHttp2Stream, then: (buffered: Buffer, message: Uint8Array | undefined, ended: boolean) => void): void {
  const chunks: Buffer[] = [];
  let done = false;
  const finish = (ended: boolean) => {
    if (done) return;
    done = true;
    stream.off('data', onData);
    stream.pause();
    const buffered = Buffer.concat(chunks);
    const first = firstMessage(buffered);
    then(buffered, first === undefined || first.compressed ? undefined : first.message, ended);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    if (firstMessage(Buffer.concat(chunks)) !== undefined) finish(false);
  };
  stream.on('data', onData);
  stream.once('end', () => finish(true));
}

/** Headers (or trailers) that pass from one hop to the next: no pseudo-headers, nothing hop-specific. */
function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !name.startsWith(':') && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** Counts a call in (in flight, for the drain) and returns how to count it out once, with its status. */
function countCall(target: ProxyTarget, method: string, state: GrpcRouterState): (code: number) => void {
  const started = performance.now();
  let recorded = false;
  target.metrics.inFlight.inc();
  state.begin();
  return (code) => {
    if (recorded) return;
    recorded = true;
    target.metrics.inFlight.dec();
    target.metrics.grpc(method, code, (performance.now() - started) / 1000);
    state.end();
  };
}

/** Bytes a call carried each way; counted only when it is audited. */
interface CallBytes {
  in: number;
  out: number;
}

/** Relays the backend's answer: headers (plus the version), messages, then its trailers; a trailers-only answer as is. */
function relayAnswer(
  upstream: ClientHttp2Stream,
  stream: ServerHttp2Stream,
  version: string,
  record: (code: number) => void,
  bytes: CallBytes | undefined,
): void {
  let trailers: IncomingHttpHeaders | undefined;
  upstream.on('response', (answer) => {
    if (!open(stream)) return;
    const out = { ...endToEnd(answer), ':status': answer[':status'] ?? 200, [VERSION_HEADER]: version };
    if (answer['grpc-status'] !== undefined) {
      stream.respond(out, { endStream: true });
      return record(Number(answer['grpc-status']));
    }
    stream.respond(out, { waitForTrailers: true });
    upstream.pipe(stream);
    if (bytes) upstream.on('data', (chunk: Buffer) => (bytes.out += chunk.length));
  });
  upstream.on('trailers', (received) => {
    trailers = received;
  });
  stream.on('wantTrailers', () => {
    if (!open(stream)) return;
    const code = trailers?.['grpc-status'] === undefined ? status.INTERNAL : Number(trailers['grpc-status']);
    stream.sendTrailers(
      trailers === undefined ? { 'grpc-status': String(code), 'grpc-message': 'the backend ended without a status' } : endToEnd(trailers),
    );
    record(code);
  });
}

/** Streams one call to `target` and its answer back, recording the gRPC status per version; `done` hears how it ended. */
function forward(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  call: { buffered: Buffer; ended: boolean; method: string; path: string },
  target: ProxyTarget,
  sessions: BackendSessions,
  state: GrpcRouterState,
  done: (outcome: CallOutcome) => void,
): void {
  const { backend, metrics } = target;
  const bytes: CallBytes | undefined = state.access.audit === undefined ? undefined : { in: call.buffered.length, out: 0 };
  if (backend.grpcUrl === undefined) {
    done({ code: status.UNAVAILABLE, bytesIn: 0, bytesOut: 0 });
    return answerStatus(stream, status.UNAVAILABLE, `version "${backend.version}" has no gRPC endpoint in the router configuration`);
  }
  const counted = countCall(target, call.method, state);
  const record = (code: number) => {
    counted(code);
    done({ code, bytesIn: bytes?.in ?? 0, bytesOut: bytes?.out ?? 0 });
  };
  const upstream = sessions.get(backend.grpcUrl).request({ ...endToEnd(headers), ':method': 'POST', ':path': call.path });
  relayAnswer(upstream, stream, backend.version, record, bytes);
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    metrics.failed(stream.headersSent ? 'reset' : 'unavailable');
    // A session that could not connect cancels its streams; the cause says why.
    const cause = (error.cause as NodeJS.ErrnoException | undefined) ?? error;
    answerStatus(stream, status.UNAVAILABLE, `version "${backend.version}" is unavailable: ${cause.code ?? cause.message}`);
    record(status.UNAVAILABLE);
  });
  stream.on('close', () => {
    if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
    record(status.CANCELLED);
  });
  if (call.ended) upstream.end(call.buffered);
  else {
    upstream.write(call.buffered);
    stream.pipe(upstream);
    if (bytes) stream.on('data', (chunk: Buffer) => (bytes.in += chunk.length));
    stream.resume();
  }
}

function rejection(route: Extract<Route, { kind: 'reject' }>): number {
  return REJECTION_CODE[route.status] ?? status.UNAVAILABLE;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `then`, after ending the router's span with the call's status (once, however often the end is reported). */
function endingHop(hop: HopSpan, then: (outcome: CallOutcome) => void): (outcome: CallOutcome) => void {
  let ended = false;
  return (outcome) => {
    if (!ended) hop.end(outcome.code, outcome.code !== status.OK);
    ended = true;
    then(outcome);
  };
}

/** Routes one inference-service call: pins, weighted pick, mirror, then forward. */
function routeCall(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  path: string,
  sessions: BackendSessions,
  state: GrpcRouterState,
): void {
  const table = state.table();
  if (table === undefined) return answerStatus(stream, status.UNAVAILABLE, 'the router has no configuration yet');
  const method = path.slice(INFERENCE_PREFIX.length);
  const pin = headerValue(headers, VERSION_HEADER);
  const model = table.config.model;
  const proceed = (route: Route, call: GrpcCall, caller: string, buffered: Buffer, ended: boolean) => {
    if (route.kind === 'reject') {
      auditCall(state.access, call, { model, caller, mirrored: false })({ code: rejection(route), bytesIn: 0, bytesOut: 0 });
      return answerStatus(stream, rejection(route), route.message);
    }
    const shadow = table.mirror;
    const mirrored =
      method === 'ModelInfer' &&
      !route.pinned &&
      shadow !== undefined &&
      shadow.target.backend.version !== route.version &&
      shadow.gate.take();
    const mirror = mirrored ? shadow.target.backend.version : undefined;
    const hop = state.tracing && startHop(state.tracing, headers, table, { ...route, mirror }, { 'rpc.method': method });
    // The chosen version and any mirror copy continue the router's span.
    const sent = hop === undefined ? headers : continuedHeaders(headers, hop);
    if (mirrored) copyToMirror(stream, sent, path, buffered, ended, shadow.target, state.mirror, sessions);
    const audited = auditCall(state.access, call, { model, caller, mirrored });
    const done = hop === undefined ? audited : endingHop(hop, audited);
    const forwarded = forwardedMetadata(state.access, sent);
    forward(stream, forwarded, { buffered, ended, method, path }, table.targets.get(route.version)!, sessions, state, done);
  };
  const go = (buffered: Buffer, target: PathTarget, ended: boolean) => {
    const route = pickVersion(target, INFERENCE.has(method), pin, table);
    const call: GrpcCall = {
      headers,
      method,
      path,
      version: route.kind === 'proxy' ? route.version : null,
      pinned: route.kind === 'proxy' && route.pinned,
    };
    const access = state.access;
    if (!guarded(access, method)) return proceed(route, call, 'anonymous', buffered, ended);
    void checkCall(access.guard, call, table).then(
      (checked) => {
        if ('code' in checked) {
          auditCall(access, call, { model, caller: checked.caller, mirrored: false })({ code: checked.code, bytesIn: 0, bytesOut: 0 });
          return answerStatus(stream, checked.code, checked.message);
        }
        if (open(stream)) proceed(route, call, checked.caller, buffered, ended);
      },
      (error: Error) => answerStatus(stream, status.INTERNAL, `routing failed: ${error.message}`),
    );
  };
  if (!MODEL_SCOPED.has(method)) return go(Buffer.alloc(0), {}, false);
  readFirst(stream, (buffered, message, ended) => {
    const fields = message === undefined ? undefined : leadingFields(message);
    go(buffered, { model: fields?.first || undefined, version: fields?.second || undefined }, ended);
  });
}

/** Starts the gRPC listener of the router on `port` (0 picks a free one). */
export async function startGrpcRouter(host: string, port: number, state: GrpcRouterState): Promise<GrpcRouter> {
  const sessions = new BackendSessions();
  const server: Http2Server = createServer();
  // A client that breaks the protocol loses its own connection; nothing else is affected.
  server.on('sessionError', () => {});
  const clients = new Set<ServerHttp2Session>();
  server.on('session', (session) => {
    clients.add(session);
    session.once('close', () => clients.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => stream.destroy());
    const path = headerValue(headers, ':path') ?? '';
    if (path === HEALTH_CHECK) {
      readFirst(stream, (_buffered, message) =>
        answerHealth(stream, state, message === undefined ? '' : (leadingFields(message)?.first ?? '')),
      );
    } else if (path.startsWith(INFERENCE_PREFIX)) {
      routeCall(stream, headers, path, sessions, state);
    } else {
      answerStatus(
        stream,
        status.UNIMPLEMENTED,
        `unknown method ${path}: the router serves inference.GRPCInferenceService and grpc.health.v1.Health`,
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      server.close();
      for (const session of clients) session.close();
      sessions.closeAll();
    },
  };
}
