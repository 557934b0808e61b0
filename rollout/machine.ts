// The rollout state machine. Pure: the previous status.rollout, the spec's weights, the
// clock and (when an interval is due) the router's figures for that interval go in; the
// next status.rollout, the effective weights for the router, its mirror and when to look
// again come out. The operator and local mode both drive it; all state lives in the
// status, so a restarted driver resumes at the same step.
import type { AnalysisResult, RolloutControl, RolloutStatus, VersionWeight } from '../api/index.ts';
import { analyseLive, analyseShadow } from './analysis.ts';
import { NO_FIGURES, type VersionFigures } from './figures.ts';
import { durationMs, type RolloutSettings } from './settings.ts';

export interface RolloutInputs {
  /** The spec's weights, every version. */
  readonly spec: readonly VersionWeight[];
  readonly generation: number;
  /** undefined: the spec has no rollout block. */
  readonly settings: RolloutSettings | undefined;
  readonly previous: RolloutStatus | undefined;
  /** The weights the router applies now (status), undefined for a new object. */
  readonly effective: readonly VersionWeight[] | undefined;
  readonly candidateReady: (version: string) => boolean;
  readonly now: Date;
  /**
   * The router's figures since the last analysis, given only when `analysisDue` said so;
   * null when the reader has no earlier read to count from (it restarted): a fresh interval starts.
   */
  readonly window?: Readonly<Record<string, VersionFigures>> | null;
  /** Set when an analysis was due but the router's figures could not be read: nothing advances without evidence. */
  readonly figuresUnavailable?: string;
  /** A person's pause, abort or promote-full (see api/rollout-control.ts). */
  readonly control?: RolloutControl;
}

export interface RolloutMirror {
  readonly version: string;
  readonly percent: number;
  readonly tolerance?: { readonly absolute: number; readonly relative: number };
}

export interface RolloutDecision {
  readonly status: RolloutStatus | undefined;
  readonly weights: readonly VersionWeight[];
  /** A mirror the rollout needs (shadowing), replacing the spec's. */
  readonly mirror?: RolloutMirror;
  /** Milliseconds until the machine must run again; undefined when nothing is pending. */
  readonly nextCheckMs?: number;
}

const ACTIVE = new Set(['Shadowing', 'Progressing', 'Paused']);

/** Where a rollout is, for people: `shadow`, or the 1-based step out of `steps`. */
export function stepLabel(status: RolloutStatus, steps: number): string {
  if (status.phase === 'Shadowing' || (status.phase === 'Aborted' && status.analysis?.gate === 'Shadow')) return 'shadow';
  return `step ${status.phase === 'Succeeded' ? steps : Math.min(status.step + 1, steps)}/${steps}`;
}

/** `v1=0,v2=100`: the spec weights a rollout walks toward. */
export function weightsKey(weights: readonly VersionWeight[]): string {
  return weights.map((w) => `${w.name}=${w.weight}`).join(',');
}

/** Whether the rollout in `status` should read the router's figures now (an interval, a pause or the shadow phase ended). */
export function analysisDue(status: RolloutStatus | undefined, settings: RolloutSettings | undefined, now: Date): boolean {
  if (status === undefined || settings === undefined || !ACTIVE.has(status.phase) || status.analyzedAt === undefined) return false;
  if (now.getTime() - Date.parse(status.analyzedAt) >= settings.intervalMs) return true;
  // The read at the end of a pause (or of the shadow phase) judges its tail, once.
  const phaseEnd = status.stepStartedAt === undefined ? Infinity : Date.parse(status.stepStartedAt) + phaseLength(status, settings);
  return now.getTime() >= phaseEnd && Date.parse(status.analyzedAt) < phaseEnd;
}

/** The next state of the rollout. */
export function nextRollout(input: RolloutInputs): RolloutDecision {
  const { settings, previous, spec } = input;
  const target = weightsKey(spec);
  if (settings === undefined) return { status: undefined, weights: spec };
  if (previous?.phase === 'Aborted' && previous.generation === input.generation) return { status: previous, weights: previous.origin };
  if (previous !== undefined && previous.target === target) {
    if (previous.phase === 'Succeeded') return { status: previous, weights: spec };
    if (ACTIVE.has(previous.phase))
      return input.control === undefined ? advance(previous, settings, input) : controlled(previous, settings, input, input.control);
  }
  const from = withVersionsOf(spec, input.effective ?? spec);
  if (weightsKey(from) === target) return { status: undefined, weights: spec };
  return advance(start(from, input), settings, input);
}

/** `current` listed in the spec's versions (a new version starts at 0). */
function withVersionsOf(spec: readonly VersionWeight[], current: readonly VersionWeight[]): VersionWeight[] {
  return spec.map(({ name }) => ({ name, weight: current.find((w) => w.name === name)?.weight ?? 0 }));
}

function start(origin: readonly VersionWeight[], input: RolloutInputs): RolloutStatus {
  const change = input.spec.map((w) => ({ name: w.name, delta: w.weight - (origin.find((o) => o.name === w.name)?.weight ?? 0) }));
  const candidate = change.reduce((a, b) => (b.delta > a.delta ? b : a)).name;
  const stable = change.reduce((a, b) => (b.delta < a.delta ? b : a)).name;
  const shadowing = input.settings?.shadow !== undefined;
  return {
    candidate,
    stable,
    phase: shadowing ? 'Shadowing' : 'Progressing',
    step: 0,
    target: weightsKey(input.spec),
    generation: input.generation,
    weights: origin,
    origin,
    failedIntervals: 0,
    candidateRequests: 0,
    totalRequests: 0,
    message: `rolling out ${candidate} (from ${weightsKey(origin)} to ${weightsKey(input.spec)})`,
  };
}

function advance(status: RolloutStatus, settings: RolloutSettings, input: RolloutInputs): RolloutDecision {
  const now = input.now.toISOString();
  if (status.stepStartedAt === undefined) {
    if (!input.candidateReady(status.candidate))
      return hold({ ...status, message: `waiting for version ${status.candidate} to be ready` }, settings, input);
    status = { ...status, stepStartedAt: now, analyzedAt: now };
  }
  if (input.figuresUnavailable !== undefined)
    return hold({ ...status, message: `waiting for the router's figures: ${input.figuresUnavailable}` }, settings, input);
  if (input.window === null) status = { ...status, analyzedAt: now };
  else if (input.window !== undefined) {
    status = counted(status, input.window);
    const result = judge(status, settings, input.window);
    status = { ...status, analyzedAt: now, ...(result === undefined ? {} : { analysis: result }) };
    if (result?.verdict === 'Failed') status = { ...status, failedIntervals: status.failedIntervals + 1 };
    if (result?.verdict === 'Passed') status = { ...status, passedIntervals: (status.passedIntervals ?? 0) + 1 };
    if (status.failedIntervals > settings.failureLimit) return abort(status, failureReason(status, result!), input);
  }
  return hold(walk(status, settings, input), settings, input);
}

/** Live requests served during the rollout, for the record of how much traffic the candidate got. */
function counted(status: RolloutStatus, window: Readonly<Record<string, VersionFigures>>): RolloutStatus {
  const total = Object.values(window).reduce((sum, figures) => sum + figures.requests, 0);
  return {
    ...status,
    candidateRequests: status.candidateRequests + (window[status.candidate]?.requests ?? 0),
    totalRequests: status.totalRequests + total,
  };
}

function judge(
  status: RolloutStatus,
  settings: RolloutSettings,
  window: Readonly<Record<string, VersionFigures>>,
): AnalysisResult | undefined {
  const candidate = window[status.candidate] ?? NO_FIGURES;
  if (status.phase === 'Shadowing') return analyseShadow(candidate, settings);
  if (weightOf(status.weights, status.candidate) === 0) return undefined;
  return analyseLive(candidate, window[status.stable] ?? NO_FIGURES, settings);
}

function failureReason(status: RolloutStatus, result: AnalysisResult): string {
  const gate = result.gate === 'Shadow' ? 'shadow comparison' : `live analysis at step ${status.step + 1} (${weightsKey(status.weights)})`;
  return `the ${gate} (${status.failedIntervals} failed interval(s)): ${result.message}`;
}

function abort(status: RolloutStatus, reason: string, input: RolloutInputs): RolloutDecision {
  const message = `rollout of ${status.candidate} aborted by ${reason}; traffic is back to ${weightsKey(status.origin)}`;
  return { status: { ...status, phase: 'Aborted', generation: input.generation, weights: status.origin, message }, weights: status.origin };
}

/** A person's command wins over the steps: abort, promote to the spec's weights, or hold where it is. */
function controlled(status: RolloutStatus, settings: RolloutSettings, input: RolloutInputs, control: RolloutControl): RolloutDecision {
  if (control.action === 'abort') return abort(status, 'hand (kubeinfer rollout abort)', input);
  if (control.action === 'promote-full') {
    return {
      status: {
        ...status,
        phase: 'Succeeded',
        weights: input.spec,
        message: `rollout of ${status.candidate} promoted by hand (kubeinfer rollout promote-full): traffic is ${weightsKey(input.spec)}`,
      },
      weights: input.spec,
    };
  }
  if (!control.paused) return advance(status, settings, input);
  // A Shadowing rollout stays Shadowing (its phase says which gate resumes); a stepping one shows Paused.
  // Held, not blind: live requests still count toward the candidate's share.
  const seen = input.window ? { ...counted(status, input.window), analyzedAt: input.now.toISOString() } : status;
  const held = {
    ...seen,
    phase: status.phase === 'Shadowing' ? status.phase : ('Paused' as const),
    message: `paused by hand at ${weightsKey(status.weights)} (kubeinfer rollout resume continues)`,
  };
  const { nextCheckMs: _, ...decision } = hold(held, settings, input);
  return decision;
}

/** Moves through every step whose time has come: setWeight at once, a pause once its duration has passed. */
function walk(status: RolloutStatus, settings: RolloutSettings, input: RolloutInputs): RolloutStatus {
  const now = input.now.getTime();
  const elapsed = () => now - Date.parse(status.stepStartedAt!);
  if (status.phase === 'Shadowing') {
    if (elapsed() < phaseLength(status, settings))
      return { ...status, message: `comparing ${status.candidate}'s answers with ${status.stable}'s` };
    if (!status.passedIntervals) return { ...status, message: awaitingEvidence(status, settings, 'mirrored answers compared') };
    status = { ...status, phase: 'Progressing', step: 0, stepStartedAt: input.now.toISOString(), passedIntervals: 0 };
  }
  while (status.step < settings.steps.length) {
    const step = settings.steps[status.step]!;
    if (step.pause !== undefined && elapsed() < phaseLength(status, settings)) {
      return {
        ...status,
        phase: 'Paused',
        message: `step ${status.step + 1}/${settings.steps.length}: pausing at ${weightsKey(status.weights)}`,
      };
    }
    if (step.pause !== undefined && !status.passedIntervals && liveGated(status, settings)) {
      return {
        ...status,
        phase: 'Paused',
        message: `step ${status.step + 1}/${settings.steps.length}: ${awaitingEvidence(status, settings, `${status.candidate} requests`)}`,
      };
    }
    const weights = step.setWeight === undefined ? status.weights : shifted(status, step.setWeight, input.spec);
    status = {
      ...status,
      phase: 'Progressing',
      step: status.step + 1,
      stepStartedAt: input.now.toISOString(),
      weights,
      passedIntervals: 0,
    };
  }
  return {
    ...status,
    phase: 'Succeeded',
    weights: input.spec,
    message: `rollout of ${status.candidate} succeeded: traffic is ${weightsKey(input.spec)}`,
  };
}

/** No promotion without evidence: a gated pause or shadow phase ends only after one of its intervals passed. */
function awaitingEvidence(status: RolloutStatus, settings: RolloutSettings, what: string): string {
  const last = status.analysis === undefined ? '' : ` (last interval: ${status.analysis.verdict}, ${status.analysis.message})`;
  return `holding at ${weightsKey(status.weights)} until an interval with at least ${settings.minRequests} ${what} passes${last}`;
}

function liveGated(status: RolloutStatus, settings: RolloutSettings): boolean {
  return weightOf(status.weights, status.candidate) > 0 && (settings.successRate !== undefined || settings.maxLatencyRatio !== undefined);
}

/** The origin weights with the candidate at `percent` (never past its spec weight) and the stable making up the difference. */
function shifted(status: RolloutStatus, percent: number, spec: readonly VersionWeight[]): VersionWeight[] {
  const others = status.origin.filter((w) => w.name !== status.candidate && w.name !== status.stable).reduce((sum, w) => sum + w.weight, 0);
  const candidate = Math.min(percent, weightOf(spec, status.candidate), 100 - others);
  return status.origin.map((w) => ({
    name: w.name,
    weight: w.name === status.candidate ? candidate : w.name === status.stable ? 100 - others - candidate : w.weight,
  }));
}

function phaseLength(status: RolloutStatus, settings: RolloutSettings): number {
  if (status.phase === 'Shadowing') return settings.shadow?.durationMs ?? 0;
  const pause = settings.steps[status.step]?.pause;
  return pause === undefined ? 0 : durationMs(pause.duration);
}

function hold(status: RolloutStatus, settings: RolloutSettings, input: RolloutInputs): RolloutDecision {
  const mirror =
    status.phase === 'Shadowing' && settings.shadow !== undefined
      ? {
          version: status.candidate,
          percent: settings.shadow.percent,
          ...(settings.shadow.tolerance ? { tolerance: settings.shadow.tolerance } : {}),
        }
      : undefined;
  const decision = { status, weights: status.phase === 'Succeeded' ? input.spec : status.weights, ...(mirror ? { mirror } : {}) };
  if (!ACTIVE.has(status.phase) || status.stepStartedAt === undefined) return decision;
  const now = input.now.getTime();
  const nextInterval = Date.parse(status.analyzedAt ?? status.stepStartedAt) + settings.intervalMs - now;
  const phaseEnd = Date.parse(status.stepStartedAt) + phaseLength(status, settings) - now;
  return { ...decision, nextCheckMs: Math.max(100, Math.min(nextInterval, phaseEnd > 0 ? phaseEnd : Infinity)) };
}

function weightOf(weights: readonly VersionWeight[], name: string): number {
  return weights.find((w) => w.name === name)?.weight ?? 0;
}
