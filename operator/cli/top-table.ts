// What `kubeinfer top` shows: per version, what the routers saw between two reads (summed
// over router replicas): request and 5xx rates, p99 latency, the share of requests each
// version served against the weight declared for it, and its replicas.
import { quantile, type VersionFigures } from '../../rollout/figures.ts';
import { table } from './status.ts';

export interface Replicas {
  readonly ready: number;
  readonly desired: number;
}

/** One version's line. */
export interface VersionRow {
  readonly version: string;
  readonly declaredWeight: number | undefined;
  /** Percent of the window's live requests this version answered; undefined when there were none. */
  readonly servedPercent: number | undefined;
  readonly requestsPerSecond: number;
  /** 5xx answers per second (the router's own 502/503/504 included). */
  readonly errorsPerSecond: number;
  readonly p99Seconds: number | undefined;
  readonly replicas: Replicas | undefined;
}

/** The rows of one window: versions in declared order, then any others the routers counted. */
export function versionRows(
  window: Readonly<Record<string, VersionFigures>>,
  seconds: number,
  declared: Readonly<Record<string, number>>,
  replicas: ReadonlyMap<string, Replicas>,
): VersionRow[] {
  const names = [...new Set([...Object.keys(declared), ...Object.keys(window)])];
  const total = Object.values(window).reduce((sum, figures) => sum + figures.requests, 0);
  return names.map((version) => {
    const figures = window[version];
    const requests = figures?.requests ?? 0;
    return {
      version,
      declaredWeight: declared[version],
      servedPercent: total === 0 ? undefined : (100 * requests) / total,
      requestsPerSecond: requests / seconds,
      errorsPerSecond: (figures?.failures ?? 0) / seconds,
      p99Seconds: figures === undefined ? undefined : quantile(figures.latency, 0.99),
      replicas: replicas.get(version),
    };
  });
}

const HEADER = ['VERSION', 'WEIGHT', 'SERVED', 'REQ/S', 'ERR/S', 'ERR%', 'P99', 'REPLICAS'];

function milliseconds(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const ms = seconds * 1000;
  return ms < 10 ? `${ms.toFixed(2)}ms` : ms < 1000 ? `${ms.toFixed(1)}ms` : `${seconds.toFixed(2)}s`;
}

function percent(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(1)}%`;
}

/** The table `kubeinfer top` prints under its title line. */
export function formatTop(title: string, rows: readonly VersionRow[]): string {
  const lines = rows.map((row) => [
    row.version,
    row.declaredWeight === undefined ? '-' : `${row.declaredWeight}%`,
    percent(row.servedPercent),
    row.requestsPerSecond.toFixed(1),
    row.errorsPerSecond.toFixed(1),
    percent(row.requestsPerSecond === 0 ? undefined : (100 * row.errorsPerSecond) / row.requestsPerSecond),
    milliseconds(row.p99Seconds),
    row.replicas === undefined ? '-' : `${row.replicas.ready}/${row.replicas.desired}`,
  ]);
  return `${title}\n\n${table([HEADER, ...lines])}\n`;
}
