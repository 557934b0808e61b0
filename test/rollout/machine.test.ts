// The rollout engine as pure functions: steps, pauses, the live and shadow gates, aborts,
// and resuming from status alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ROLLOUT_ACTION_ANNOTATION,
  ROLLOUT_PAUSED_ANNOTATION,
  rolloutControl,
  type RolloutSpec,
  type RolloutStatus,
} from '../../api/index.ts';
import { latencyBucket, NO_FIGURES, type VersionFigures } from '../../rollout/figures.ts';
import { analysisDue, nextRollout, type RolloutDecision, type RolloutInputs } from '../../rollout/machine.ts';
import { durationMs, rolloutSettings } from '../../rollout/settings.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const before = [
  { name: 'v1', weight: 100 },
  { name: 'v2', weight: 0 },
];
const after = [
  { name: 'v1', weight: 0 },
  { name: 'v2', weight: 100 },
];
const steps: RolloutSpec['steps'] = [{ setWeight: 10 }, { pause: { duration: '60s' } }, { setWeight: 50 }, { pause: { duration: '60s' } }];
const gates = { interval: '15s', failureLimit: 0, minRequests: 20, successRate: 0.99, maxLatencyRatio: 1.5 };

/** `requests` answered at `seconds` each, `failures` of them 5xx. */
function served(requests: number, seconds: number, failures = 0): VersionFigures {
  return { ...NO_FIGURES, requests, failures, latency: requests === 0 ? {} : { [latencyBucket(seconds)]: requests } };
}
const shadowed = (matches: number, mismatches: number, errors = 0): VersionFigures => ({
  ...NO_FIGURES,
  shadow: { matches, mismatches, errors, maxAbsDifference: mismatches > 0 ? 0.5 : 0 },
});

function step(
  spec: RolloutSpec,
  previous: RolloutDecision | undefined,
  seconds: number,
  window?: RolloutInputs['window'],
  extra: Partial<RolloutInputs> = {},
): RolloutDecision {
  return nextRollout({
    spec: after,
    generation: 2,
    settings: rolloutSettings(spec),
    previous: previous?.status,
    effective: previous?.weights ?? before,
    candidateReady: () => true,
    now: at(seconds),
    ...(window === undefined ? {} : { window }),
    ...extra,
  });
}
const weightOf = (decision: RolloutDecision, name: string) => decision.weights.find((w) => w.name === name)!.weight;

describe('rollout steps', () => {
  it('walks every step on good figures and ends at the spec weights', () => {
    const spec = { steps, analysis: gates };
    let d = step(spec, undefined, 0);
    assert.equal(d.status?.phase, 'Paused');
    assert.equal(d.status?.step, 1);
    assert.equal(weightOf(d, 'v2'), 10);
    assert.equal(d.nextCheckMs, 15_000);
    d = step(spec, d, 15, { v1: served(90, 0.01), v2: served(30, 0.011) });
    assert.equal(d.status?.analysis?.verdict, 'Passed');
    assert.equal(d.status?.step, 1);
    for (const s of [30, 45]) d = step(spec, d, s, { v1: served(90, 0.01), v2: served(30, 0.011) });
    d = step(spec, d, 60, { v1: served(90, 0.01), v2: served(30, 0.011) });
    assert.equal(d.status?.phase, 'Paused');
    assert.equal(d.status?.step, 3);
    assert.equal(weightOf(d, 'v2'), 50);
    for (const s of [75, 90, 105, 120]) d = step(spec, d, s, { v1: served(50, 0.01), v2: served(50, 0.011) });
    assert.equal(d.status?.phase, 'Succeeded');
    assert.deepEqual(d.weights, after);
    assert.equal(d.status?.candidateRequests, 30 * 4 + 50 * 4);
    assert.equal(d.status?.totalRequests, 120 * 4 + 100 * 4);
    assert.equal(step(spec, d, 500).status?.phase, 'Succeeded', 'a finished rollout stays finished');
  });

  it('applies the spec at once without a rollout block, and for a new object', () => {
    assert.deepEqual(
      nextRollout({
        spec: after,
        generation: 1,
        settings: undefined,
        previous: undefined,
        effective: before,
        candidateReady: () => true,
        now: at(0),
      }),
      { status: undefined, weights: after },
    );
    assert.equal(step({ steps }, undefined, 0, undefined, { effective: undefined }).status, undefined);
  });

  it('waits for the candidate to be ready before the first step counts', () => {
    const d = step({ steps }, undefined, 0, undefined, { candidateReady: () => false });
    assert.equal(d.status?.stepStartedAt, undefined);
    assert.deepEqual(d.weights, before);
    assert.match(d.status!.message, /waiting for version v2/);
  });

  it('resumes from status alone at the same step: a new driver neither restarts nor skips', () => {
    const spec = { steps, analysis: gates };
    const paused = step(spec, undefined, 0);
    const resumed = step(spec, paused, 40, null);
    assert.equal(resumed.status?.step, 1);
    assert.equal(resumed.status?.analyzedAt, at(40).toISOString(), 'a fresh interval starts');
    assert.equal(resumed.nextCheckMs, 15_000);
    assert.equal(step(spec, resumed, 61, { v1: served(90, 0.01), v2: served(30, 0.01) }).status?.step, 3);
  });

  it('does not advance past a pause while the router cannot be read', () => {
    const paused = step({ steps, analysis: gates }, undefined, 0);
    const blind = step({ steps, analysis: gates }, paused, 61, undefined, { figuresUnavailable: 'no router pod is running' });
    assert.equal(blind.status?.step, 1);
    assert.equal(weightOf(blind, 'v2'), 10);
    assert.match(blind.status!.message, /no router pod is running/);
  });

  it('caps a step at the spec weight of the candidate', () => {
    const half = [
      { name: 'v1', weight: 70 },
      { name: 'v2', weight: 30 },
    ];
    const d = nextRollout({
      spec: half,
      generation: 2,
      settings: rolloutSettings({ steps: [{ setWeight: 50 }, { pause: { duration: '1m' } }] }),
      previous: undefined,
      effective: before,
      candidateReady: () => true,
      now: at(0),
    });
    assert.equal(weightOf(d, 'v2'), 30);
  });
});

describe('rollout gates', () => {
  it('aborts on a low success rate, restores the weights and quotes the figures', () => {
    const spec = { steps, analysis: gates };
    const d = step(spec, step(spec, undefined, 0), 15, { v1: served(90, 0.01), v2: served(30, 0.01, 12) });
    assert.equal(d.status?.phase, 'Aborted');
    assert.deepEqual(d.weights, before);
    assert.match(d.status!.message, /success rate 0\.600 < 0\.99 \(12 of 30 requests failed\)/);
    assert.equal(step(spec, d, 100, undefined).status?.phase, 'Aborted', 'stays aborted for the same generation');
    const again = step(spec, d, 100, undefined, { generation: 3 });
    assert.equal(again.status?.phase, 'Paused', 'a new generation starts again');
  });

  it('aborts a 3x slower candidate on the latency ratio', () => {
    const spec = { steps, analysis: gates };
    const d = step(spec, step(spec, undefined, 0), 15, { v1: served(90, 0.01), v2: served(30, 0.03) });
    assert.equal(d.status?.phase, 'Aborted');
    assert.match(
      d.status!.message,
      /live analysis at step 2 \(v1=90,v2=10\).*p99 33\.0ms is 3\.14x the stable's 10\.5ms \(max 1\.5x\); traffic is back to v1=100,v2=0/,
    );
  });

  it('tolerates failureLimit failed intervals and never counts inconclusive ones', () => {
    const spec = { steps, analysis: { ...gates, failureLimit: 1 } };
    let d = step(spec, undefined, 0);
    d = step(spec, d, 15, { v1: served(90, 0.01), v2: served(5, 0.01, 5) });
    assert.equal(d.status?.analysis?.verdict, 'Inconclusive');
    d = step(spec, d, 30, { v1: served(90, 0.01), v2: served(30, 0.01, 30) });
    assert.equal(d.status?.phase, 'Paused');
    assert.equal(d.status?.failedIntervals, 1);
    d = step(spec, d, 45, { v1: served(90, 0.01), v2: served(30, 0.01, 30) });
    assert.equal(d.status?.phase, 'Aborted');
  });

  it('shadows first with the mirror on and live weights unchanged, then steps', () => {
    const spec = { steps, analysis: { ...gates, shadow: { duration: '30s', tolerance: { absolute: 0.1 } } } };
    let d = step(spec, undefined, 0);
    assert.equal(d.status?.phase, 'Shadowing');
    assert.deepEqual(d.weights, before);
    assert.deepEqual(d.mirror, { version: 'v2', percent: 100, tolerance: { absolute: 0.1, relative: 1e-3 } });
    d = step(spec, d, 15, { v1: served(40, 0.01), v2: shadowed(40, 0) });
    assert.equal(d.status?.analysis?.agreement, 1);
    d = step(spec, d, 30, { v1: served(40, 0.01), v2: shadowed(40, 0) });
    assert.equal(d.status?.phase, 'Paused');
    assert.equal(d.mirror, undefined);
    assert.equal(weightOf(d, 'v2'), 10);
  });

  it('aborts a candidate whose answers differ before it gets any live traffic', () => {
    const spec = { steps, analysis: { ...gates, shadow: { duration: '60s' } } };
    const d = step(spec, step(spec, undefined, 0), 15, { v1: served(40, 0.01), v2: shadowed(10, 30) });
    assert.equal(d.status?.phase, 'Aborted');
    assert.equal(d.status?.candidateRequests, 0);
    assert.match(d.status!.message, /shadow comparison .*agreement 0\.250 < 0\.99: 10 of 40 mirrored answers matched/);
  });

  it('ends neither a pause nor the shadow phase on inconclusive intervals: no promotion without evidence', () => {
    const spec = { steps, analysis: gates };
    let d = step(spec, undefined, 0);
    for (const s of [15, 30, 45, 60, 75]) d = step(spec, d, s, { v1: served(90, 0.01), v2: served(5, 0.2) });
    assert.equal(d.status?.phase, 'Paused');
    assert.equal(d.status?.step, 1);
    assert.match(
      d.status!.message,
      /holding at v1=90,v2=10 until an interval with at least 20 v2 requests passes \(last interval: Inconclusive/,
    );
    d = step(spec, d, 90, { v1: served(90, 0.01), v2: served(30, 0.01) });
    assert.equal(d.status?.step, 3, 'the first conclusive pass ends the pause');
    const shadowSpec = { steps, analysis: { ...gates, shadow: { duration: '15s' } } };
    const shadowing = step(shadowSpec, step(shadowSpec, undefined, 0), 15, { v1: served(90, 0.01), v2: shadowed(3, 0) });
    assert.equal(shadowing.status?.phase, 'Shadowing');
    assert.match(shadowing.status!.message, /until an interval with at least 20 mirrored answers compared passes/);
  });

  it('is due for analysis every interval and when a pause ends', () => {
    const settings = rolloutSettings({ steps, analysis: gates });
    const status = step({ steps, analysis: gates }, undefined, 0).status as RolloutStatus;
    assert.equal(analysisDue(status, settings, at(14)), false);
    assert.equal(analysisDue(status, settings, at(15)), true);
    assert.equal(analysisDue({ ...status, analyzedAt: at(59).toISOString() }, settings, at(60)), true);
    assert.equal(durationMs('1h30m'), 5_400_000);
  });
});

describe('manual control', () => {
  const spec = { steps, analysis: gates };
  const good = { v1: served(90, 0.01), v2: served(30, 0.01) };

  it('holds the step and the weights while paused by hand, and carries on once resumed', () => {
    const paused = step(spec, step(spec, undefined, 0), 61, good, { control: { paused: true } });
    assert.equal(paused.status?.step, 1);
    assert.equal(paused.status?.phase, 'Paused');
    assert.match(paused.status!.message, /paused by hand at v1=90,v2=10/);
    assert.equal(paused.nextCheckMs, undefined, 'a resume (an annotation change) wakes it, not a timer');
    assert.equal(paused.status?.candidateRequests, 30, 'requests served while held still count');
    assert.equal(step(spec, paused, 62, good, { control: { paused: false } }).status?.step, 3);
  });

  it('aborts or promotes on command, like a gate or the last step would', () => {
    const running = step(spec, undefined, 0);
    const aborted = step(spec, running, 5, undefined, { control: { paused: false, action: 'abort' } });
    assert.equal(aborted.status?.phase, 'Aborted');
    assert.deepEqual(aborted.weights, before);
    assert.match(aborted.status!.message, /aborted by hand/);
    const promoted = step(spec, running, 5, undefined, { control: { paused: true, action: 'promote-full' } });
    assert.equal(promoted.status?.phase, 'Succeeded');
    assert.deepEqual(promoted.weights, after);
  });

  it('reads commands from annotations, an action only for the generation it names', () => {
    const annotations = { [ROLLOUT_PAUSED_ANNOTATION]: 'true', [ROLLOUT_ACTION_ANNOTATION]: 'abort@4' };
    assert.deepEqual(rolloutControl({ generation: 4, annotations }), { paused: true, action: 'abort' });
    assert.deepEqual(rolloutControl({ generation: 5, annotations }), { paused: true });
    assert.deepEqual(rolloutControl({ generation: 5 }), { paused: false });
  });
});
