// Progressive delivery in the InferenceService API: spec.rollout and status.rollout.
// The schema in schema-rollout.ts describes the same shapes (checked at compile time).

/** One step: the candidate's share of live traffic, or a hold. */
export interface RolloutStep {
  readonly setWeight?: number;
  readonly pause?: { readonly duration: string };
}

/** |a-b| <= absolute + relative*|b|. */
export interface Tolerance {
  readonly absolute?: number;
  readonly relative?: number;
}

/** Mirror to the candidate and compare its outputs with the stable's, before any live traffic. */
export interface ShadowAnalysis {
  readonly percent?: number;
  readonly duration: string;
  readonly minAgreement?: number;
  readonly tolerance?: Tolerance;
}

/** The gates evaluated every interval. */
export interface RolloutAnalysis {
  readonly interval?: string;
  readonly failureLimit?: number;
  readonly minRequests?: number;
  readonly successRate?: number;
  readonly maxLatencyRatio?: number;
  readonly shadow?: ShadowAnalysis;
}

export interface RolloutSpec {
  readonly steps: readonly RolloutStep[];
  readonly analysis?: RolloutAnalysis;
}

export type RolloutPhase = 'Shadowing' | 'Progressing' | 'Paused' | 'Succeeded' | 'Aborted';

export interface VersionWeight {
  readonly name: string;
  readonly weight: number;
}

/** The outcome of one analysis interval, with its figures. */
export interface AnalysisResult {
  readonly gate: 'Shadow' | 'Live';
  readonly verdict: 'Passed' | 'Failed' | 'Inconclusive';
  readonly requests: number;
  readonly successRate?: number;
  readonly p99Seconds?: number;
  readonly stableP99Seconds?: number;
  readonly agreement?: number;
  readonly maxAbsDifference?: number;
  readonly message: string;
}

export interface RolloutStatus {
  readonly candidate: string;
  readonly stable: string;
  readonly phase: RolloutPhase;
  readonly step: number;
  readonly target: string;
  readonly generation: number;
  readonly weights: readonly VersionWeight[];
  readonly origin: readonly VersionWeight[];
  readonly stepStartedAt?: string;
  readonly analyzedAt?: string;
  readonly failedIntervals: number;
  readonly passedIntervals?: number;
  readonly candidateRequests: number;
  readonly totalRequests: number;
  readonly analysis?: AnalysisResult;
  readonly message: string;
}
