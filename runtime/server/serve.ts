// Starts and stops one model server: engine, metrics, HTTP and gRPC listeners, and the drain
// that SIGTERM triggers: not-ready while still serving for the shutdown delay (endpoints take
// that long to stop sending), then stop accepting, finish in-flight requests within a bound,
// stop workers.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine, type EngineState } from '../engine/engine.ts';
import { loadApiKeys } from '../auth/api-keys.ts';
import { apiKeyGuard } from '../auth/guard.ts';
import { BodyBudget, defaultBodyBudget } from './admission.ts';
import { createListener } from './app.ts';
import type { ServeConfig } from '../../contracts/index.ts';
import type { Lifecycle, ServeContext } from './context.ts';
import { JsonCodec } from './json-codec.ts';
import { jsonLogger, type Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { ModelStatistics } from './statistics.ts';
import { startTracing } from '../tracing/tracing.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The gRPC port, or undefined when gRPC is off. */
  readonly grpcPort: number | undefined;
  /** Resolves once the model has loaded (or failed to). */
  readonly loaded: Promise<EngineState>;
  /** Graceful stop: not-ready, finish in-flight requests (bounded by the drain timeout), stop workers. */
  drain(): Promise<void>;
}

function listenUrl(server: Server): { url: string; port: number } {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, port: address.port };
}

function logLoad(log: Logger, config: ServeConfig, state: EngineState): void {
  if (state.status === 'ready') {
    log('info', 'model ready', {
      model: config.modelName,
      version: config.modelVersion,
      loadSeconds: state.loadSeconds,
      batching: state.batching,
      optimizedSessionsFromCache: state.optimizedModelCache.cachedSessions,
      sessions: state.optimizedModelCache.openedSessions,
      inputs: state.signature.inputs,
      outputs: state.signature.outputs,
    });
    for (const problem of state.optimizedModelCache.problems) log('warn', problem, { model: config.modelName });
  } else if (state.status === 'failed') {
    log('error', 'model failed to load; the server stays not-ready', {
      model: config.modelName,
      version: config.modelVersion,
      reason: state.reason,
    });
  }
}

async function waitForIdle(lifecycle: Lifecycle, deadline: number): Promise<boolean> {
  while (lifecycle.active > 0) {
    if (Date.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** Starts serving `config.modelPath`; the listener is up before the model finishes loading. */
export async function startServer(config: ServeConfig, log: Logger = jsonLogger()): Promise<RunningServer> {
  const metrics = createMetrics(config.modelName, config.modelVersion);
  const statistics = new ModelStatistics();
  const engine = new Engine(config, {
    onExecution: (execution) => {
      metrics.executed(execution);
      statistics.executed(execution);
    },
    onQueueLength: (length) => metrics.pending(length),
    onWorkerLost: (message) => log('error', message),
  });
  const lifecycle: Lifecycle = { draining: false, active: 0 };
  const budget = new BodyBudget(config.maxBodyBytesInFlight ?? defaultBodyBudget());
  const jsonCodec = new JsonCodec();
  const guard = config.apiKeysFile === undefined ? undefined : apiKeyGuard(await loadApiKeys(config.apiKeysFile));
  const tracing = await startTracing(config.otlpEndpoint, 'kubeinfer-serve', {
    'kubeinfer.model': config.modelName,
    'kubeinfer.model_version': config.modelVersion,
  });
  const ctx: ServeContext = { config, engine, metrics, statistics, log, lifecycle, budget, jsonCodec, guard, tracing };
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks the headers and request timeouts this often (30 s by default, far too coarse for them).
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs, config.requestTimeoutMs),
    },
    createListener(ctx),
  ).listen({ port: config.port, host: config.host });
  await once(server, 'listening');
  const { url, port } = listenUrl(server);
  log('info', `listening on ${url}`, {
    url,
    port,
    model: config.modelName,
    version: config.modelVersion,
    bodyBudgetBytes: budget.capacity,
  });
  // Loaded only when on, so a REST-only server never parses the .proto files.
  const grpc = config.grpcPort === 0 ? undefined : await (await import('../grpc/server.ts')).startGrpc(ctx, config.grpcPort, config.host);
  if (grpc !== undefined) log('info', `gRPC listening on port ${grpc.port}`, { grpcPort: grpc.port });
  const loaded = engine.loaded.then((state) => {
    metrics.modelLoaded(state.status === 'ready' ? state.loadSeconds : 0, state.status === 'ready');
    logLoad(log, config, state);
    return state;
  });

  let draining: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    // Readiness fails at once, but requests keep being accepted and served until endpoints
    // have had time to drop this server; each response meanwhile closes its connection, so
    // keep-alive clients reconnect to a live server instead of finding this socket gone.
    lifecycle.draining = true;
    log('info', 'draining: not ready, still serving for the shutdown delay', {
      active: lifecycle.active,
      shutdownDelayMs: config.shutdownDelayMs,
    });
    await sleep(config.shutdownDelayMs);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    log('info', 'no longer accepting; finishing in-flight requests', {
      active: lifecycle.active,
      timeoutSeconds: config.drainTimeoutSeconds,
    });
    const finished = await waitForIdle(lifecycle, Date.now() + config.drainTimeoutSeconds * 1000);
    if (!finished) log('warn', 'drain timeout reached; closing remaining connections', { active: lifecycle.active });
    server.closeAllConnections();
    await Promise.all([closed, grpc?.close()]);
    await Promise.all([engine.close(), jsonCodec.close(), tracing?.shutdown()]);
    log('info', 'stopped');
  };
  return { url, port, grpcPort: grpc?.port, loaded, drain: () => (draining ??= drain()) };
}
