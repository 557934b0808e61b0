// The router's HTTP server: node:http directly, because every microsecond on this path is
// added to every inference call. It answers its own health and metrics endpoints and
// proxies everything else under /v2 and /v1 to the version the routing table picks.
import { Agent, createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterConfig } from '../../contracts/index.ts';
import { createRouterMetrics } from './metrics.ts';
import type { RouterMetrics } from './metrics.ts';
import { startGrpcRouter } from './grpc-proxy.ts';
import { createMirror } from './mirror.ts';
import { proxyRequest } from './proxy.ts';
import type { ProxySettings } from './proxy.ts';
import { VERSION_HEADER, resolveRoute, type Route } from './route.ts';
import { pairAnswers, type AnswerSink } from './shadow.ts';
import { routerFigures } from './stats.ts';
import { ROUTER_STATS_PATH } from '../../rollout/figures.ts';
import { auditLine, REQUEST_ID_HEADER, requestIdOf } from '../auth/audit.ts';
import { sendDenied, type Access, type AccessDecision, type AccessGuard } from '../auth/guard.ts';
import { ROUTER_DEFAULTS, type RouterLimits } from './settings.ts';
import { buildRoutingTable, describeConfig } from './table.ts';
import { startTracing, type Tracing } from '../tracing/tracing.ts';
import { startHttpHop } from './hop.ts';
import { guarded, type RequestHandler } from './guarded.ts';
import type { RoutingTable } from './table.ts';

/** Limits left out take their defaults (ROUTER_DEFAULTS, the flags' defaults). */
export interface RouterOptions extends Partial<RouterLimits> {
  /** Interface to listen on; default `0.0.0.0`. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Largest answer (live and mirrored) kept to compare the two; default 1 MiB. */
  readonly maxComparedBytes?: number;
  /** Port of the gRPC (h2c) listener; undefined: no gRPC. 0 picks a free one. */
  readonly grpcPort?: number;
  /** Adds Node process metrics to /metrics (off in tests that start several routers). */
  readonly processMetrics?: boolean;
  /** Who may call; without one, anyone who reaches the router may. */
  readonly guard?: AccessGuard | undefined;
  /** Require the guard's approval for /metrics as well (Kubernetes: GET on the non-resource path /metrics). */
  readonly protectMetrics?: boolean | undefined;
  /** Receives one audit line per inference request; set to audit. */
  readonly audit?: ((line: Readonly<Record<string, unknown>>) => void) | undefined;
  readonly log?: (event: Readonly<Record<string, unknown>>) => void;
  /** OTLP/HTTP collector for the router's spans; undefined: tracing off. */
  readonly otlpEndpoint?: string | undefined;
}

export interface Router {
  readonly url: string;
  readonly port: number;
  /** The gRPC listener's port, when it runs. */
  readonly grpcPort: number | undefined;
  readonly metrics: RouterMetrics;
  /** Swaps in a new configuration; requests in flight keep their backend. */
  apply(config: RouterConfig): void;
  /** Records an invalid configuration; the last good one stays in force. */
  reject(problems: readonly string[]): void;
  config(): RouterConfig | undefined;
  /**
   * Reports not-ready, keeps serving for `delayMs` (while load balancers notice), then stops
   * accepting and waits up to `graceMs` for requests in flight.
   */
  close(graceMs?: number, delayMs?: number): Promise<void>;
}

/** Mutable state shared by the handler and the lifecycle methods. */
interface RouterState {
  table: RoutingTable | undefined;
  closing: boolean;
  active: number;
  drained: (() => void) | undefined;
}

/** Starts the router; it answers 503 until the first configuration is applied. */
export async function startRouter(options: RouterOptions = {}): Promise<Router> {
  const log = options.log ?? (() => {});
  const limits: RouterLimits = { ...ROUTER_DEFAULTS, ...options };
  const state: RouterState = { table: undefined, closing: false, active: 0, drained: undefined };
  const metrics = createRouterMetrics(options.processMetrics ?? false);
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo' });
  const tracing = await startTracing(options.otlpEndpoint, 'kubeinfer-router', {});
  const server = createServer(
    {
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks those timeouts this often (30 s by default, too coarse for a 10 s headers limit).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    guarded(createHandler(state, metrics, agent, limits, options.maxComparedBytes ?? 1024 * 1024, { ...options, tracing }), log),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const grpc =
    options.grpcPort === undefined
      ? undefined
      : await startGrpcRouter(options.host ?? '0.0.0.0', options.grpcPort, {
          table: () => state.table,
          closing: () => state.closing,
          begin: () => {
            state.active++;
          },
          end: () => {
            state.active--;
            if (state.active === 0) state.drained?.();
          },
          mirror: { inFlight: 0, maxInFlight: limits.mirrorMaxInFlight, maxBodyBytes: limits.mirrorMaxBufferedBytes },
          access: { guard: options.guard, audit: options.audit },
          tracing,
        });
  const shownHost = options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    grpcPort: grpc?.port,
    metrics,
    apply(config) {
      state.table = buildRoutingTable(config, metrics, state.table);
      metrics.configApplied(config);
      log({ level: 'info', msg: 'configuration applied', model: config.model, traffic: describeConfig(config) });
    },
    reject(problems) {
      metrics.configRejected();
      log({ level: 'error', msg: 'configuration rejected; keeping the last good one', problems });
    },
    config: () => state.table?.config,
    async close(graceMs = 10_000, delayMs = 0) {
      state.closing = true;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      server.close();
      if (state.active > 0) {
        await new Promise<void>((resolve) => {
          state.drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      server.closeAllConnections();
      grpc?.close();
      agent.destroy();
      await tracing?.shutdown();
    },
  };
}

/** The request handler: own endpoints, then route, access check, mirror and proxy. */
function createHandler(
  state: RouterState,
  metrics: RouterMetrics,
  agent: Agent,
  limits: RouterLimits,
  maxComparedBytes: number,
  access: Pick<RouterOptions, 'guard' | 'protectMetrics' | 'audit'> & { readonly tracing: Tracing | undefined },
): RequestHandler {
  const proxy: ProxySettings = {
    agent,
    timeoutMs: limits.backendTimeoutMs,
    deadlineMs: limits.requestDeadlineMs,
    maxComparedBytes,
    withoutCredentials: access.guard !== undefined,
  };
  const mirror = createMirror({
    agent,
    timeoutMs: limits.mirrorTimeoutMs,
    maxInFlight: limits.mirrorMaxInFlight,
    maxBufferedBytes: limits.mirrorMaxBufferedBytes,
    maxComparedBytes,
  });
  const forward: Forward = (req, res, table, route, caller) => {
    const shadow = table.mirror;
    let answered: AnswerSink | undefined;
    const mirrored =
      shadow !== undefined &&
      !route.pinned &&
      req.method === 'POST' &&
      shadow.target.backend.version !== route.version &&
      shadow.gate.take();
    const hop =
      access.tracing &&
      startHttpHop(access.tracing, req, table, { ...route, mirror: mirrored ? shadow.target.backend.version : undefined });
    if (mirrored) {
      const pair = pairAnswers(shadow.target.metrics, shadow.tolerance);
      mirror.copy(req, shadow.target, pair.mirrored);
      answered = pair.live;
    }
    state.active++;
    const audited = access.audit === undefined ? undefined : { requestId: requestIdOf(req.headers), started: performance.now() };
    proxyRequest(
      req,
      res,
      table.targets.get(route.version)!,
      proxy,
      (exchange) => {
        state.active--;
        if (state.active === 0) state.drained?.();
        hop?.end(exchange.status, exchange.status >= 500);
        if (audited)
          access.audit!(
            auditLine({
              ...audited,
              ...exchange,
              caller,
              model: table.config.model,
              version: route.version,
              pinned: route.pinned,
              mirrored,
              method: req.method ?? '',
              path: req.url ?? '',
              latencyMs: performance.now() - audited.started,
            }),
          );
      },
      answered,
      audited && { [REQUEST_ID_HEADER]: audited.requestId },
    );
  };
  return (req, res) => {
    const url = req.url ?? '/';
    const table = state.table;
    // While shutting down, every answer closes its connection so keep-alive clients reconnect to a live router.
    if (state.closing) res.setHeader('connection', 'close');
    if (url.startsWith('/v2/health/')) return answerLocally(url, res, { table, closing: state.closing, metrics });
    // The figures (Prometheus text and the rollout's JSON) are open unless protected, as one.
    if (url.startsWith('/metrics') || url.startsWith(ROUTER_STATS_PATH)) {
      if (access.guard === undefined || !access.protectMetrics) return answerLocally(url, res, { table, closing: state.closing, metrics });
      return checkThen(access.guard, req, res, { kind: 'metrics', path: url.split('?', 1)[0] ?? url }, () =>
        answerLocally(url, res, { table, closing: state.closing, metrics }),
      );
    }
    if (table === undefined) return sendJson(res, 503, { error: 'the router has no configuration yet' });
    const route = resolveRoute(req.method, url, header(req, VERSION_HEADER), table);
    const answer = (caller: string) => {
      if (route.kind === 'proxy') return forward(req, res, table, route, caller);
      metrics.rejected(table.config.model, route.status);
      sendJson(res, route.status, { error: route.message });
      auditRefusal(caller, route.status);
    };
    // A request answered without reaching a version still leaves its audit line.
    const auditRefusal = (caller: string, status: number) =>
      access.audit?.(
        auditLine({
          requestId: requestIdOf(req.headers),
          caller,
          model: table.config.model,
          version: route.kind === 'proxy' ? route.version : null,
          pinned: route.kind === 'proxy' && route.pinned,
          mirrored: false,
          method: req.method ?? '',
          path: url,
          status,
          latencyMs: 0,
          bytesIn: 0,
          bytesOut: 0,
        }),
      );
    if (access.guard === undefined) return answer('anonymous');
    const pinsWeightZero =
      route.kind === 'proxy' && route.pinned && table.config.versions.find((version) => version.name === route.version)?.weight === 0;
    return checkThen(access.guard, req, res, { kind: 'infer', pinsWeightZero }, answer, (decision) =>
      auditRefusal(decision.caller ?? 'unauthenticated', decision.status),
    );
  };
}

type Forward = (
  req: IncomingMessage,
  res: ServerResponse,
  table: RoutingTable,
  route: Extract<Route, { kind: 'proxy' }>,
  caller: string,
) => void;

/** Runs `then` with the caller once the guard allows the request; otherwise answers 401/403/503 and tells `denied`. */
function checkThen(
  guard: AccessGuard,
  req: IncomingMessage,
  res: ServerResponse,
  access: Access,
  then: (caller: string) => void,
  denied?: (decision: Extract<AccessDecision, { allowed: false }>) => void,
): Promise<void> {
  return guard.check(req.headers, access).then(
    (decision) => {
      if (decision.allowed) return then(decision.caller);
      req.resume(); // read and drop the body so the client's connection stays usable
      denied?.(decision);
      sendDenied(res, decision);
    },
    (error: Error) => sendJson(res, 500, { error: `access check failed: ${error.message}` }),
  );
}

interface LocalState {
  readonly table: RoutingTable | undefined;
  readonly closing: boolean;
  readonly metrics: RouterMetrics;
}

/** The router's own endpoints: V2 health and Prometheus metrics. */
function answerLocally(url: string, res: ServerResponse, state: LocalState): void {
  const path = url.split('?', 1)[0];
  if (path === '/v2/health/live') return sendJson(res, 200, { live: true });
  if (path === '/v2/health/ready') {
    if (state.closing) return sendJson(res, 503, { ready: false, reason: 'shutting down' });
    if (state.table === undefined) return sendJson(res, 503, { ready: false, reason: 'no configuration yet' });
    return sendJson(res, 200, { ready: true });
  }
  if (path === ROUTER_STATS_PATH) {
    if (state.table === undefined) return sendJson(res, 503, { error: 'the router has no configuration yet' });
    const stats = new Map([...state.table.targets].map(([version, target]) => [version, target.metrics.stats]));
    const weights = Object.fromEntries(state.table.config.versions.map((version) => [version.name, version.weight]));
    return sendJson(res, 200, routerFigures(state.table.config.model, stats, weights));
  }
  if (path === '/metrics') {
    state.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': state.metrics.registry.contentType }).end(text),
      (error: Error) => sendJson(res, 500, { error: `metrics failed: ${error.message}` }),
    );
    return;
  }
  sendJson(res, 404, {
    error: `no route for ${path}: the router serves /v2/health/live, /v2/health/ready and /metrics and ${ROUTER_STATS_PATH} itself`,
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
