// What every route handler shares: the settings, the engine and the bookkeeping.
import type { AccessGuard } from '../auth/guard.ts';
import type { Engine } from '../engine/engine.ts';
import type { BodyBudget } from './admission.ts';
import type { ServeConfig } from '../../contracts/index.ts';
import type { Logger } from './log.ts';
import type { ServerMetrics } from './metrics.ts';
import type { JsonCodec } from './json-codec.ts';
import type { ConfigOptions } from './model-config.ts';
import { clip } from '../engine/quote.ts';
import type { Problem } from './problems.ts';
import type { ModelStatistics } from './statistics.ts';
import type { Tracing } from '../tracing/tracing.ts';

export interface Lifecycle {
  /** Set on SIGTERM: readiness fails and responses close their connections. */
  draining: boolean;
  /** HTTP requests being handled right now (all routes). */
  active: number;
}

export interface ServeContext {
  readonly config: ServeConfig;
  readonly engine: Engine;
  readonly metrics: ServerMetrics;
  readonly statistics: ModelStatistics;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  /** Who may call; undefined when the server is open (behind the router, or local). */
  readonly guard?: AccessGuard | undefined;
  /** Request body bytes admitted at once (--max-body-bytes-in-flight). */
  readonly budget: BodyBudget;
  /** Large JSON requests and answers are parsed and written on its thread. */
  readonly jsonCodec: JsonCodec;
  /** Span export; undefined (the default) when tracing is off. */
  readonly tracing?: Tracing | undefined;
}

/** 404 unless the URL names the served model (and, when given, the served version). */
export function checkTarget(ctx: ServeContext, model: string | undefined, version: string | undefined): Problem | undefined {
  const { modelName, modelVersion } = ctx.config;
  if (model !== modelName)
    return { kind: 'NotFound', message: `unknown model '${clip(String(model))}'; this server serves model '${modelName}'` };
  if (version !== undefined && version !== modelVersion) {
    return {
      kind: 'NotFound',
      message: `unknown version '${clip(version)}' of model '${modelName}'; this server serves version '${modelVersion}'`,
    };
  }
  return undefined;
}

/** Why the model cannot answer yet, or undefined when it is ready. */
export function unavailable(ctx: ServeContext): Problem | undefined {
  const state = ctx.engine.state;
  if (state.status === 'ready') return undefined;
  const message =
    state.status === 'failed'
      ? `model '${ctx.config.modelName}' failed to load: ${state.reason}`
      : `model '${ctx.config.modelName}' is still loading`;
  return { kind: 'Unavailable', message };
}

/** Triton configuration options for the served model as it actually runs. */
export function configOptions(ctx: ServeContext): ConfigOptions {
  const state = ctx.engine.state;
  const batching = state.status === 'ready' && state.batching;
  return {
    name: ctx.config.modelName,
    version: ctx.config.modelVersion,
    workers: ctx.config.workers,
    maxBatchSize: batching ? ctx.config.maxBatchSize : 0,
    preferredBatchSize: batching ? Math.min(ctx.config.preferredBatchSize, ctx.config.maxBatchSize) : 0,
    maxQueueDelayMicros: ctx.config.maxQueueDelayMicros,
    executionProvider: ctx.config.executionProvider,
    labels: state.status === 'ready' && state.labels.length > 0,
  };
}
