// The gates: one interval's figures in, a verdict with its figures out. Pure.
import type { AnalysisResult } from '../api/index.ts';
import { quantile, type VersionFigures } from './figures.ts';
import type { RolloutSettings } from './settings.ts';

const fixed = (value: number) => value.toFixed(3);
const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)}ms`;

/** Live gate: the candidate's success rate and its p99 against the stable's, over one interval. */
export function analyseLive(candidate: VersionFigures, stable: VersionFigures, settings: RolloutSettings): AnalysisResult {
  const requests = candidate.requests;
  if (requests < settings.minRequests) {
    return {
      gate: 'Live',
      verdict: 'Inconclusive',
      requests,
      message: `${requests} candidate requests in the interval, fewer than minRequests ${settings.minRequests}`,
    };
  }
  const successRate = 1 - candidate.failures / requests;
  const p99Seconds = quantile(candidate.latency, 0.99);
  const stableP99Seconds = quantile(stable.latency, 0.99);
  const figures = {
    successRate,
    ...(p99Seconds === undefined ? {} : { p99Seconds }),
    ...(stableP99Seconds === undefined ? {} : { stableP99Seconds }),
  };
  const failures: string[] = [];
  if (settings.successRate !== undefined && successRate < settings.successRate) {
    failures.push(`success rate ${fixed(successRate)} < ${settings.successRate} (${candidate.failures} of ${requests} requests failed)`);
  }
  if (settings.maxLatencyRatio !== undefined && p99Seconds !== undefined && stableP99Seconds !== undefined) {
    const ratio = p99Seconds / stableP99Seconds;
    if (ratio > settings.maxLatencyRatio)
      failures.push(
        `p99 ${ms(p99Seconds)} is ${ratio.toFixed(2)}x the stable's ${ms(stableP99Seconds)} (max ${settings.maxLatencyRatio}x)`,
      );
  }
  const summary = `success rate ${fixed(successRate)} over ${requests} requests${p99Seconds === undefined ? '' : `, p99 ${ms(p99Seconds)}`}${stableP99Seconds === undefined ? '' : ` (stable ${ms(stableP99Seconds)})`}`;
  return failures.length > 0
    ? { gate: 'Live', verdict: 'Failed', requests, ...figures, message: failures.join('; ') }
    : { gate: 'Live', verdict: 'Passed', requests, ...figures, message: summary };
}

/** Shadow gate: the share of mirrored answers that matched the live ones, over one interval. */
export function analyseShadow(candidate: VersionFigures, settings: RolloutSettings): AnalysisResult {
  const { matches, mismatches, errors, maxAbsDifference } = candidate.shadow;
  const requests = matches + mismatches + errors;
  const minAgreement = settings.shadow?.minAgreement ?? 1;
  if (requests < settings.minRequests) {
    return {
      gate: 'Shadow',
      verdict: 'Inconclusive',
      requests,
      message: `${requests} mirrored answers compared in the interval, fewer than minRequests ${settings.minRequests}`,
    };
  }
  const agreement = matches / requests;
  const figures = { agreement, maxAbsDifference };
  const counts = `${matches} of ${requests} mirrored answers matched (${mismatches} differed, ${errors} failed; largest difference ${maxAbsDifference})`;
  return agreement < minAgreement
    ? { gate: 'Shadow', verdict: 'Failed', requests, ...figures, message: `agreement ${fixed(agreement)} < ${minAgreement}: ${counts}` }
    : { gate: 'Shadow', verdict: 'Passed', requests, ...figures, message: `agreement ${fixed(agreement)}: ${counts}` };
}
