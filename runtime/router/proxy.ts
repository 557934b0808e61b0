// The hot path: stream one request to a version's backend and its answer back, byte for
// byte, over pooled keep-alive connections. Nothing is buffered: JSON and binary tensor
// bodies (Inference-Header-Content-Length) pass through as they arrive.
import { request } from 'node:http';
import type { Agent, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { BackendFailure, VersionMetrics } from './metrics.ts';
import { CREDENTIAL_HEADERS } from '../auth/guard.ts';
import { VERSION_HEADER } from './route.ts';
import { boundedBody, type AnswerSink } from './shadow.ts';
import type { Backend } from './table.ts';

/** Connection-level headers that belong to one hop and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);

/** Status codes the router answers with when a backend fails (nginx/Envoy conventions). */
const FAILURE_STATUS: Readonly<Record<BackendFailure, number>> = { unavailable: 503, reset: 502, timeout: 504 };

/** Status recorded for a client that went away before its answer (nginx's 499). */
const CLIENT_CLOSED = 499;

export interface ProxySettings {
  readonly agent: Agent;
  /** Longest silence from a backend (no response bytes) after the whole request reached it, before the request fails with 504. */
  readonly timeoutMs: number;
  /** Drop Authorization, x-api-key and cookies: set when the router itself checked them. */
  readonly withoutCredentials: boolean;
  /** Largest answer kept to compare with a mirrored one. */
  readonly maxComparedBytes: number;
  /** Longest the whole exchange may take, however steadily bytes flow. */
  readonly deadlineMs: number;
}

export interface ProxyTarget {
  readonly model: string;
  readonly backend: Backend;
  readonly metrics: VersionMetrics;
}

/** What one proxied exchange amounted to, for the audit line. */
export interface Exchange {
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Proxies `req` to `target` and answers `res` (plus `extraHeaders`); records metrics; calls `done` once at the end, and `answered` (a mirrored request's live answer) once it is complete. */
export function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ProxyTarget,
  settings: ProxySettings,
  done: (exchange: Exchange) => void,
  answered?: AnswerSink,
  extraHeaders?: OutgoingHttpHeaders,
): void {
  const { backend, metrics } = target;
  const started = performance.now();
  let failure: BackendFailure | undefined;
  let bytesIn = 0;
  let bytesOut = 0;
  metrics.inFlight.inc();
  const upstream = request({
    agent: settings.agent,
    hostname: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: forwardedRequestHeaders(req, backend, settings.withoutCredentials),
  });
  // Silence counts against the version only once it has the whole request: a client that stalls
  // mid-body is the router's request timeout to answer (408), not the version's failure (504).
  upstream.once('finish', () => upstream.setTimeout(settings.timeoutMs, () => upstream.destroy(timeoutError(settings.timeoutMs))));
  const deadline = setTimeout(() => upstream.destroy(timeoutError(settings.deadlineMs)), settings.deadlineMs);
  const onFailure = (error: NodeJS.ErrnoException) => {
    // The client left first (destroying upstream raised this), or this failure is handled.
    if (res.destroyed || failure !== undefined) return;
    failure = classifyFailure(error);
    metrics.failed(failure);
    answered?.(undefined, undefined);
    // Mid-response the status is gone already: cutting the connection is the only honest signal.
    if (res.headersSent) return res.destroy();
    // Drain what is left of the request body so the client's connection stays usable.
    if (!req.complete) req.resume();
    sendFailure(res, failure, target, error);
  };
  upstream.on('response', (answer) => {
    // An answer before the whole body (serve refusing an oversized request) must not leave the
    // client's connection half-read: the rest of the body is read and dropped, so the connection
    // is idle once the client has sent it, instead of being cut by the request timeout later under
    // a client that has reused it. (Closing at once would make the client's writes fail with
    // EPIPE before it reads the answer.)
    if (!req.complete) {
      req.unpipe(upstream);
      req.resume();
    }
    res.writeHead(answer.statusCode ?? 502, { ...returnedResponseHeaders(answer.headers, backend.version), ...extraHeaders });
    answer.on('error', onFailure);
    if (extraHeaders !== undefined) answer.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
    if (answered !== undefined) keepAnswer(answer, settings.maxComparedBytes, answered);
    answer.pipe(res);
  });
  upstream.on('error', onFailure);
  res.once('close', () => {
    clearTimeout(deadline);
    metrics.inFlight.dec();
    const complete = res.writableFinished;
    if (!complete && failure === undefined) upstream.destroy();
    const status = complete || failure !== undefined ? res.statusCode : CLIENT_CLOSED;
    metrics.observe(status, (performance.now() - started) / 1000);
    done({ status, bytesIn, bytesOut });
  });
  req.pipe(upstream);
  // Counting costs a listener per chunk, so only an audited exchange (one with extra headers) pays it.
  if (extraHeaders !== undefined) req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
}

/** Keeps a copy of an answer (up to `maxBytes`) alongside the pipe to the client. */
export function keepAnswer(answer: IncomingMessage, maxBytes: number, answered: AnswerSink): void {
  const kept = boundedBody(maxBytes);
  answer.on('data', (chunk: Buffer) => kept.add(chunk));
  answer.once('end', () => answered(answer.statusCode, kept.body()));
}

/** Copies request headers except hop-by-hop ones (and the caller's credentials when asked); Host names the backend. */
export function forwardedRequestHeaders(req: IncomingMessage, backend: Backend, withoutCredentials = false): OutgoingHttpHeaders {
  const incoming = req.headers;
  const headers: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    if (!HOP_BY_HOP.has(name) && !(withoutCredentials && CREDENTIAL_HEADERS.includes(name))) headers[name] = incoming[name];
  }
  headers.host = backend.host;
  if (incoming.host !== undefined) headers['x-forwarded-host'] = incoming.host;
  const client = req.socket.remoteAddress;
  if (client !== undefined)
    headers['x-forwarded-for'] = incoming['x-forwarded-for'] === undefined ? client : `${incoming['x-forwarded-for']}, ${client}`;
  return headers;
}

function returnedResponseHeaders(incoming: IncomingHttpHeaders, version: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in incoming) {
    // transfer-encoding is re-decided by our own server for the client's connection.
    if (!HOP_BY_HOP.has(name) && name !== 'transfer-encoding') headers[name] = incoming[name];
  }
  headers[VERSION_HEADER] = version;
  return headers;
}

/** Maps a socket error to the failure kinds the metrics and status codes use. */
export function classifyFailure(error: NodeJS.ErrnoException): BackendFailure {
  switch (error.code) {
    case 'KUBEINFER_TIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unavailable';
    default:
      return 'reset';
  }
}

/** Human-readable cause for `{"error": ...}` bodies and logs. */
export function describeFailure(failure: BackendFailure, target: ProxyTarget, error: NodeJS.ErrnoException): string {
  const who = `version "${target.backend.version}" of model "${target.model}" (${target.backend.url})`;
  const code = error.code ?? error.message;
  switch (failure) {
    case 'unavailable':
      return `${who} is unavailable: cannot connect (${code})`;
    case 'timeout':
      return `${who} did not answer: ${error.message}`;
    default:
      return `${who} failed before answering: connection closed (${code})`;
  }
}

function sendFailure(res: ServerResponse, failure: BackendFailure, target: ProxyTarget, error: NodeJS.ErrnoException): void {
  const body = JSON.stringify({ error: describeFailure(failure, target, error) });
  const headers: OutgoingHttpHeaders = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [VERSION_HEADER]: target.backend.version,
  };
  if (failure === 'unavailable') headers['retry-after'] = '1';
  res.writeHead(FAILURE_STATUS[failure], headers).end(body);
}

/** A timeout as an errno-style error, so classification stays on `code`. */
export function timeoutError(ms: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`no response within ${ms} ms`);
  error.code = 'KUBEINFER_TIMEOUT';
  return error;
}
