// spec.rollout with every default applied and every duration in milliseconds: what the
// rollout engine runs on. The defaults are stated once, here, and in the schema's descriptions.
import type { RolloutSpec, RolloutStep } from '../api/index.ts';

export interface ShadowSettings {
  readonly percent: number;
  readonly durationMs: number;
  readonly minAgreement: number;
  /** Absent: the router's default tolerance. */
  readonly tolerance?: { readonly absolute: number; readonly relative: number };
}

export interface RolloutSettings {
  readonly steps: readonly RolloutStep[];
  readonly intervalMs: number;
  readonly failureLimit: number;
  readonly minRequests: number;
  readonly successRate?: number;
  readonly maxLatencyRatio?: number;
  readonly shadow?: ShadowSettings;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000 };

/** Milliseconds of a validated duration such as `90s`, `2m` or `1h30m`. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([hms])/gu)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** Defaults applied: interval 15s, failureLimit 0, minRequests 20, shadow percent 100 and minAgreement 0.99. */
export function rolloutSettings(spec: RolloutSpec): RolloutSettings {
  const analysis = spec.analysis ?? {};
  const shadow = analysis.shadow;
  return {
    steps: spec.steps,
    intervalMs: durationMs(analysis.interval ?? '15s'),
    failureLimit: analysis.failureLimit ?? 0,
    minRequests: analysis.minRequests ?? 20,
    ...(analysis.successRate === undefined ? {} : { successRate: analysis.successRate }),
    ...(analysis.maxLatencyRatio === undefined ? {} : { maxLatencyRatio: analysis.maxLatencyRatio }),
    ...(shadow === undefined
      ? {}
      : {
          shadow: {
            percent: shadow.percent ?? 100,
            durationMs: durationMs(shadow.duration),
            minAgreement: shadow.minAgreement ?? 0.99,
            ...(shadow.tolerance === undefined
              ? {}
              : { tolerance: { absolute: shadow.tolerance.absolute ?? 1e-4, relative: shadow.tolerance.relative ?? 1e-3 } }),
          },
        }),
  };
}
