// Per-version figures for rollout analysis, served as JSON on GET /router/stats: what a
// rollout needs without a Prometheus server (request and 5xx counts, a latency histogram,
// shadow comparisons). Counters only grow; readers take differences between reads.
import { latencyBucket, NO_SHADOW, type RouterFigures, type ShadowCounts, type VersionFigures } from '../../rollout/figures.ts';

/** The outcome of comparing one mirrored answer with the live one. */
export type ShadowOutcome = { readonly kind: 'match' | 'mismatch'; readonly maxAbsDifference: number } | { readonly kind: 'error' };

/** One version's counters. */
export interface VersionStats {
  observe(code: number, seconds: number): void;
  compared(outcome: ShadowOutcome): void;
  figures(): VersionFigures;
}

/** Creates the counters of one version. */
export function createVersionStats(): VersionStats {
  let requests = 0;
  let failures = 0;
  const latency = new Map<number, number>();
  let shadow: ShadowCounts = NO_SHADOW;
  return {
    observe(code, seconds) {
      requests += 1;
      if (code >= 500) failures += 1;
      const bucket = latencyBucket(seconds);
      latency.set(bucket, (latency.get(bucket) ?? 0) + 1);
    },
    compared(outcome) {
      if (outcome.kind === 'error') shadow = { ...shadow, errors: shadow.errors + 1 };
      else {
        const maxAbsDifference = Math.max(shadow.maxAbsDifference, outcome.maxAbsDifference);
        shadow =
          outcome.kind === 'match'
            ? { ...shadow, matches: shadow.matches + 1, maxAbsDifference }
            : { ...shadow, mismatches: shadow.mismatches + 1, maxAbsDifference };
      }
    },
    figures: () => ({ requests, failures, latency: Object.fromEntries(latency), shadow }),
  };
}

/** The body of GET /router/stats for the versions of the current configuration and their weights. */
export function routerFigures(
  model: string,
  versions: ReadonlyMap<string, VersionStats>,
  weights: Readonly<Record<string, number>>,
): RouterFigures {
  return { model, versions: Object.fromEntries([...versions].map(([name, stats]) => [name, stats.figures()])), weights };
}
