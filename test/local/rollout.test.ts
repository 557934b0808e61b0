// `kubeinfer run` runs the operator's rollout engine against the local router: editing
// the manifest's weights shadows, steps and gates the candidate, printing each transition
// as a `rollout:` line. Real runtimes, real ONNX models: a good candidate, one that answers
// 503 (a slow model behind a one-request queue), one whose outputs differ, and one that
// gives the same answers several times slower (the gate is 3x: on two busy shared cores a
// good candidate's p99 wanders up to about 2x the stable's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addModel, slowAddModel } from '../../tools/onnx/models.ts';
import { decideLocally } from './rollout-scenario.ts';

async function rollOut(candidate: Uint8Array, candidateRuntime?: string) {
  const decision = await decideLocally({ candidate, pauseSeconds: 3, ...(candidateRuntime ? { candidateRuntime } : {}) });
  process.stdout.write(`# ${decision.lines.at(-1)}\n#   clients: ${decision.sent} sent, ${decision.failed} failed\n`);
  return decision;
}

test('a good candidate is shadowed, walks every step and reaches the manifest weights', async () => {
  const { lines } = await rollOut(addModel({ scale: 2, offset: 1 }));
  assert.match(lines[0]!, /^rollout: Shadowing \(shadow, traffic v1=100,v2=0\): comparing v2's answers with v1's/u);
  assert.ok(
    lines.some((line) => /^rollout: Paused \(step 2\/4, traffic v1=80,v2=20\)/u.test(line)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((line) => /^rollout: Paused \(step 4\/4, traffic v1=50,v2=50\)/u.test(line)),
    lines.join('\n'),
  );
  assert.match(lines.at(-1)!, /^rollout: Succeeded \(step 4\/4, traffic v1=0,v2=100\): rollout of v2 succeeded/u);
});

test('a candidate that answers 503 is aborted while shadowed and never serves a live request', async () => {
  const { lines, failed } = await rollOut(slowAddModel({ scale: 2, offset: 1, rounds: 500 }), ', runtime: {workers: 1, maxQueueSize: 1}');
  assert.match(
    lines.at(-1)!,
    /^rollout: Aborted \(shadow, traffic v1=100,v2=0\): rollout of v2 aborted by the shadow comparison .* failed/u,
  );
  assert.doesNotMatch(lines.at(-1)!, /v2 served [1-9]/u);
  assert.equal(failed, 0, 'clients never saw the candidate fail');
});

test('a candidate whose outputs differ is aborted while shadowed', async () => {
  const { lines } = await rollOut(addModel({ scale: 2, offset: 1.5 }));
  assert.match(
    lines.at(-1)!,
    /^rollout: Aborted \(shadow, traffic v1=100,v2=0\): rollout of v2 aborted by the shadow comparison .*largest difference 0\.5/u,
  );
});

test('a candidate with the same answers but several times slower passes the shadow and is aborted by the live latency gate', async () => {
  const { lines } = await rollOut(slowAddModel({ scale: 2, offset: 1, rounds: 1500 }));
  assert.ok(
    lines.some((line) => line.startsWith('rollout: Paused (step 2/4, traffic v1=80,v2=20)')),
    lines.join('\n'),
  );
  // The first live step that sees minRequests of its requests aborts it (at 20% it may see too few).
  assert.match(
    lines.at(-1)!,
    /^rollout: Aborted \(step [24]\/4, traffic v1=100,v2=0\): rollout of v2 aborted by the live analysis .*p99 .*x the stable's/u,
  );
});
