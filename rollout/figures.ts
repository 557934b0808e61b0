// The figures a router reports per version (GET /router/stats) and the arithmetic the
// rollout engine does on them. Counters only ever grow, like Prometheus counters, so any
// number of readers can take differences between two reads, and several router replicas
// add up. Latency is a histogram of logarithmic buckets (10% wide), so a p99 read from it
// is within 10% of the true one, fine enough for a latency-ratio gate.

/** The path routers serve their figures on. */
export const ROUTER_STATS_PATH = '/router/stats';

/** Comparison of mirrored answers with the answers live callers got. */
export interface ShadowCounts {
  readonly matches: number;
  readonly mismatches: number;
  /** The mirror version failed (transport error or 5xx) where the live answer did not. */
  readonly errors: number;
  /** Largest absolute difference seen between two compared values (0 when none). */
  readonly maxAbsDifference: number;
}

export interface VersionFigures {
  /** Live requests answered (any status). */
  readonly requests: number;
  /** Of those, answered with 5xx (the router's own 502/503/504 included). */
  readonly failures: number;
  /** Bucket index -> requests; see `latencyBucket`. */
  readonly latency: Readonly<Record<string, number>>;
  readonly shadow: ShadowCounts;
}

/** The body of GET /router/stats. */
export interface RouterFigures {
  readonly model: string;
  readonly versions: Readonly<Record<string, VersionFigures>>;
  /** The weights of the configuration in force, by version (what `kubeinfer top` calls declared). */
  readonly weights: Readonly<Record<string, number>>;
}

const SMALLEST_SECONDS = 1e-5;
const GROWTH = 1.1;

/** The histogram bucket of a latency: bucket i holds (1e-5 * 1.1^(i-1), 1e-5 * 1.1^i] seconds. */
export function latencyBucket(seconds: number): number {
  if (!(seconds > SMALLEST_SECONDS)) return 0;
  return Math.ceil(Math.log(seconds / SMALLEST_SECONDS) / Math.log(GROWTH) - 1e-9);
}

/** The q-quantile (0..1) of a histogram, as its bucket's upper bound; undefined when empty. */
export function quantile(latency: Readonly<Record<string, number>>, q: number): number | undefined {
  const buckets = Object.entries(latency)
    .map(([index, count]) => [Number(index), count] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return undefined;
  let seen = 0;
  for (const [index, count] of buckets) {
    seen += count;
    if (seen >= q * total) return SMALLEST_SECONDS * GROWTH ** index;
  }
  const last = buckets.at(-1);
  return last === undefined ? undefined : SMALLEST_SECONDS * GROWTH ** last[0];
}

export const NO_SHADOW: ShadowCounts = { matches: 0, mismatches: 0, errors: 0, maxAbsDifference: 0 };
export const NO_FIGURES: VersionFigures = { requests: 0, failures: 0, latency: {}, shadow: NO_SHADOW };

/** Several replicas' figures added up. */
export function sumFigures(reads: readonly Pick<RouterFigures, 'versions'>[]): Readonly<Record<string, VersionFigures>> {
  const total: Record<string, VersionFigures> = {};
  for (const read of reads) {
    for (const [version, figures] of Object.entries(read.versions)) total[version] = combine(total[version] ?? NO_FIGURES, figures, 1);
  }
  return total;
}

/**
 * What happened between two reads of one replica. A replica whose counters went down was
 * restarted in between: everything it reports now is new.
 */
export function sinceRead(now: VersionFigures, before: VersionFigures | undefined): VersionFigures {
  if (
    before === undefined ||
    now.requests < before.requests ||
    now.shadow.matches + now.shadow.mismatches + now.shadow.errors < before.shadow.matches + before.shadow.mismatches + before.shadow.errors
  )
    return now;
  return combine(now, before, -1);
}

function combine(a: VersionFigures, b: VersionFigures, sign: 1 | -1): VersionFigures {
  const latency: Record<string, number> = { ...a.latency };
  for (const [index, count] of Object.entries(b.latency)) latency[index] = (latency[index] ?? 0) + sign * count;
  for (const [index, count] of Object.entries(latency)) if (count === 0) delete latency[index];
  return {
    requests: a.requests + sign * b.requests,
    failures: a.failures + sign * b.failures,
    latency,
    shadow: {
      matches: a.shadow.matches + sign * b.shadow.matches,
      mismatches: a.shadow.mismatches + sign * b.shadow.mismatches,
      errors: a.shadow.errors + sign * b.shadow.errors,
      // A maximum cannot be differenced: the interval reports the largest seen so far.
      maxAbsDifference: Math.max(a.shadow.maxAbsDifference, b.shadow.maxAbsDifference),
    },
  };
}
