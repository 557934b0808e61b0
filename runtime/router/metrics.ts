// Per-version Prometheus metrics: the input for canary analysis (success rate and latency
// of each version under the same traffic). Label children are cached per version and the
// routing table holds each version's children, so the hot path does no label lookups.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RouterConfig } from '../../contracts/index.ts';
import { createVersionStats, type ShadowOutcome, type VersionStats } from './stats.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Why a backend exchange failed, as a metric label and in error messages. */
export type BackendFailure = 'unavailable' | 'reset' | 'timeout';
/** Why a mirror copy was not sent. */
export type MirrorSkip = 'overloaded' | 'over_budget' | 'too_large' | 'client_aborted';

/** Cached metric children for one version. */
export interface VersionMetrics {
  readonly inFlight: { inc(): void; dec(): void };
  observe(code: number, seconds: number): void;
  /** A gRPC call to this version ended with status `code` (0 is OK). */
  grpc(method: string, code: number, seconds: number): void;
  failed(reason: BackendFailure): void;
  /** A mirror copy was answered: its HTTP status, or `grpc-<status>` for a gRPC copy. */
  mirrored(code: number | string | undefined, seconds: number): void;
  mirrorFailed(reason: BackendFailure | MirrorSkip): void;
  /** A mirrored answer compared with the live one ('skipped': nothing comparable, e.g. the live call failed). */
  compared(outcome: ShadowOutcome | { readonly kind: 'skipped' }): void;
  /** The JSON counters behind GET /router/stats. */
  readonly stats: VersionStats;
}

export interface RouterMetrics {
  readonly registry: Registry;
  /** The version's metric children; called when a configuration is applied, not per request. */
  forVersion(model: string, version: string): VersionMetrics;
  rejected(model: string, code: number): void;
  configApplied(config: RouterConfig): void;
  configRejected(): void;
}

/** Creates the router's registry (with process metrics when `processMetrics`). */
export function createRouterMetrics(processMetrics: boolean): RouterMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const m = defineMetrics(registry);
  // Both results are exported from the start, at 0: the first rejection is then an increase an alert can see.
  for (const result of ['applied', 'rejected']) m.updates.labels(result).inc(0);
  const cache = new Map<string, VersionMetrics>();
  return {
    registry,
    forVersion(model, version) {
      const key = `${model}\u0000${version}`;
      let metrics = cache.get(key);
      if (metrics === undefined) {
        metrics = versionMetrics(m, model, version);
        cache.set(key, metrics);
      }
      return metrics;
    },
    rejected: (model, code) => m.rejected.labels(model, String(code)).inc(),
    configApplied(config) {
      m.weight.reset();
      for (const v of config.versions) m.weight.labels(config.model, v.name).set(v.weight);
      m.mirrorPercent.reset();
      if (config.mirror !== null) m.mirrorPercent.labels(config.model, config.mirror.version).set(config.mirror.percent);
      m.updates.labels('applied').inc();
    },
    configRejected: () => m.updates.labels('rejected').inc(),
  };
}

type Definitions = ReturnType<typeof defineMetrics>;

function defineMetrics(registry: Registry) {
  const registers = [registry];
  const mv = ['model', 'version'] as const;
  return {
    requests: new Counter({
      name: 'kubeinfer_router_requests_total',
      help: 'Requests proxied to a version, by response status code.',
      labelNames: [...mv, 'code'],
      registers,
    }),
    grpc: new Counter({
      name: 'kubeinfer_router_grpc_requests_total',
      help: 'gRPC calls proxied to a version, by method and gRPC status code.',
      labelNames: [...mv, 'method', 'code'],
      registers,
    }),
    duration: new Histogram({
      name: 'kubeinfer_router_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, per version.',
      labelNames: mv,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    errors: new Counter({
      name: 'kubeinfer_router_backend_errors_total',
      help: 'Requests the version failed to answer (unavailable, reset, timeout).',
      labelNames: [...mv, 'reason'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'kubeinfer_router_in_flight_requests',
      help: 'Requests being proxied to a version now.',
      labelNames: mv,
      registers,
    }),
    mirrors: new Counter({
      name: 'kubeinfer_router_mirror_requests_total',
      help: 'Mirrored (shadow) requests answered by the mirror version, by status code.',
      labelNames: [...mv, 'code'],
      registers,
    }),
    mirrorErrors: new Counter({
      name: 'kubeinfer_router_mirror_errors_total',
      help: 'Mirrored requests that failed or were not sent (overloaded, over_budget, too_large, client_aborted, or a backend failure such as timeout).',
      labelNames: [...mv, 'reason'],
      registers,
    }),
    mirrorDuration: new Histogram({
      name: 'kubeinfer_router_mirror_duration_seconds',
      help: 'Latency of mirrored requests.',
      labelNames: mv,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    rejected: new Counter({
      name: 'kubeinfer_router_rejected_requests_total',
      help: 'Requests the router answered itself (unknown model, version or path).',
      labelNames: ['model', 'code'],
      registers,
    }),
    weight: new Gauge({
      name: 'kubeinfer_router_version_weight',
      help: 'Configured percent of weighted traffic per version.',
      labelNames: mv,
      registers,
    }),
    mirrorPercent: new Gauge({
      name: 'kubeinfer_router_mirror_percent',
      help: 'Configured percent of weighted inference requests mirrored.',
      labelNames: mv,
      registers,
    }),
    shadowComparisons: new Counter({
      name: 'kubeinfer_router_shadow_comparisons_total',
      help: 'Mirrored answers compared with the live answer to the same request, by result (match, mismatch, error, skipped).',
      labelNames: [...mv, 'result'],
      registers,
    }),
    shadowMaxDifference: new Gauge({
      name: 'kubeinfer_router_shadow_max_abs_difference',
      help: 'Largest absolute difference seen between a mirrored output value and the live one.',
      labelNames: mv,
      registers,
    }),
    updates: new Counter({
      name: 'kubeinfer_router_config_updates_total',
      help: 'Configuration changes applied or rejected as invalid.',
      labelNames: ['result'],
      registers,
    }),
  };
}

function versionMetrics(m: Definitions, model: string, version: string): VersionMetrics {
  const codes = new Map<number, { inc(): void }>();
  const mirrorCodes = new Map<string, { inc(): void }>();
  const grpcCodes = new Map<string, { inc(): void }>();
  const duration = m.duration.labels(model, version);
  const mirrorDuration = m.mirrorDuration.labels(model, version);
  const stats = createVersionStats();
  const maxDifference = m.shadowMaxDifference.labels(model, version);
  return {
    stats,
    inFlight: m.inFlight.labels(model, version),
    observe(code, seconds) {
      let counter = codes.get(code);
      if (counter === undefined) {
        counter = m.requests.labels(model, version, String(code));
        codes.set(code, counter);
      }
      counter.inc();
      duration.observe(seconds);
      stats.observe(code, seconds);
    },
    grpc(method, code, seconds) {
      const key = `${method}/${code}`;
      let counter = grpcCodes.get(key);
      if (counter === undefined) {
        counter = m.grpc.labels(model, version, method, String(code));
        grpcCodes.set(key, counter);
      }
      counter.inc();
      duration.observe(seconds);
    },
    failed: (reason) => m.errors.labels(model, version, reason).inc(),
    mirrored(code, seconds) {
      const label = code === undefined ? 'none' : String(code);
      let counter = mirrorCodes.get(label);
      if (counter === undefined) {
        counter = m.mirrors.labels(model, version, label);
        mirrorCodes.set(label, counter);
      }
      counter.inc();
      mirrorDuration.observe(seconds);
    },
    mirrorFailed: (reason) => m.mirrorErrors.labels(model, version, reason).inc(),
    compared(outcome) {
      m.shadowComparisons.labels(model, version, outcome.kind).inc();
      if (outcome.kind === 'skipped') return;
      stats.compared(outcome);
      maxDifference.set(stats.figures().shadow.maxAbsDifference);
    },
  };
}
