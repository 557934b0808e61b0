// The routing table: one immutable snapshot of the configuration, ready for the hot path.
// Everything a request needs per version (parsed address, metric children) is resolved
// here, once per configuration change. A change builds a new table and swaps it in;
// requests already in flight keep the backend they picked, so nothing is dropped.
import { createBalancer, createPercentGate } from './balancer.ts';
import type { Balancer, PercentGate } from './balancer.ts';
import { DEFAULT_TOLERANCE, type ToleranceSettings } from './compare.ts';
import type { RouterConfig, RouterVersion } from '../../contracts/index.ts';
import type { RouterMetrics } from './metrics.ts';
import type { ProxyTarget } from './proxy.ts';

/** A version's backend, pre-parsed for node:http. */
export interface Backend {
  readonly version: string;
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  /** `host:port`, sent as the Host header. */
  readonly host: string;
  /** The gRPC endpoint (`http://host:port`, h2c), when the configuration gives one. */
  readonly grpcUrl: string | undefined;
}

export interface MirrorTarget {
  readonly target: ProxyTarget;
  readonly gate: PercentGate;
  readonly tolerance: ToleranceSettings;
}

export interface RoutingTable {
  readonly config: RouterConfig;
  /** Version name -> where and how its requests go. */
  readonly targets: ReadonlyMap<string, ProxyTarget>;
  /** Picks for inference calls (POST): their split stays exact whatever else clients send. */
  readonly balancer: Balancer;
  /** Picks for reads (metadata, readiness, config, stats), split by the same weights. */
  readonly readBalancer: Balancer;
  readonly mirror: MirrorTarget | undefined;
}

/**
 * Builds the table for `config`. The balancers (and mirror gate) of `previous` are kept when
 * the weights (or mirror) did not change, so a re-read of the same configuration does not
 * restart the interleaving.
 */
export function buildRoutingTable(config: RouterConfig, metrics: RouterMetrics, previous?: RoutingTable): RoutingTable {
  const targets = new Map(
    config.versions.map(
      (v) => [v.name, { model: config.model, backend: toBackend(v), metrics: metrics.forVersion(config.model, v.name) }] as const,
    ),
  );
  const sameWeights = previous !== undefined && weightsKey(previous.config) === weightsKey(config);
  const weights = config.versions.map((v) => [v.name, v.weight] as const);
  const balancer = sameWeights ? previous.balancer : createBalancer(weights);
  const readBalancer = sameWeights ? previous.readBalancer : createBalancer(weights);
  return { config, targets, balancer, readBalancer, mirror: mirrorTarget(config, targets, previous) };
}

function mirrorTarget(config: RouterConfig, targets: ReadonlyMap<string, ProxyTarget>, previous?: RoutingTable): MirrorTarget | undefined {
  const mirror = config.mirror;
  if (mirror === null || mirror.percent === 0) return undefined;
  const target = targets.get(mirror.version);
  if (target === undefined) return undefined;
  const old = previous?.config.mirror;
  const samePercent = old?.version === mirror.version && old.percent === mirror.percent && previous?.mirror !== undefined;
  return {
    target,
    gate: samePercent ? previous!.mirror!.gate : createPercentGate(mirror.percent),
    tolerance: mirror.tolerance ?? DEFAULT_TOLERANCE,
  };
}

function toBackend(version: RouterVersion): Backend {
  const url = new URL(version.url);
  const port = url.port === '' ? 80 : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { version: version.name, url: version.url, hostname, port, host: url.host, grpcUrl: version.grpcUrl };
}

function weightsKey(config: RouterConfig): string {
  return config.versions.map((v) => `${v.name}=${v.weight}`).join(',');
}

/** One line summary for logs: `v1=90 v2=10 mirror=v3:20%`. */
export function describeConfig(config: RouterConfig): string {
  const weights = config.versions.map((v) => `${v.name}=${v.weight}`).join(' ');
  return config.mirror === null ? weights : `${weights} mirror=${config.mirror.version}:${config.mirror.percent}%`;
}
