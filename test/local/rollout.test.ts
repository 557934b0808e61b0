// `kubeinfer run` runs the operator's rollout engine against the local router: editing
// the manifest's weights shadows, steps and gates the candidate, printing each transition
// as a `rollout:` line. Real runtimes, real ONNX models: a good candidate, one that answers
// 503 (a slow model behind a one-request queue), one whose outputs differ, and one that
// gives the same answers several times slower (the gate is 3x: two busy shared cores make
// a good candidate's p99 wander up to about 2x the stable's).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { addModel, slowAddModel } from '../../tools/onnx/models.ts';
import { keepSending } from '../operator/rollout-fixture.ts';
import { startLocalRun } from './session.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });

function manifest(v1: number, candidateRuntime = ''): string {
  return `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata:
  name: m
spec:
  versions:
    - {name: v1, model: {uri: "file://./stable.onnx"}, weight: ${v1}}
    - {name: v2, model: {uri: "file://./candidate.onnx"}, weight: ${100 - v1}${candidateRuntime}}
  runtime: {workers: 1}
  rollout:
    steps: [{setWeight: 20}, {pause: {duration: 3s}}, {setWeight: 50}, {pause: {duration: 3s}}]
    analysis:
      interval: 1s
      failureLimit: 1
      minRequests: 10
      successRate: 0.95
      maxLatencyRatio: 3
      shadow: {duration: 3s, minAgreement: 0.95}
`;
}

/** Runs v1 = the stable model and v2 = `candidate`, then edits the manifest to v2=100 under load; resolves with the `rollout:` lines. */
async function rollOut(t: TestContext, candidate: Uint8Array, candidateRuntime = ''): Promise<{ lines: string[]; failed: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-rollout-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'stable.onnx'), addModel({ scale: 2, offset: 1 }));
  await writeFile(join(dir, 'candidate.onnx'), candidate);
  const path = join(dir, 'service.yaml');
  await writeFile(path, manifest(100, candidateRuntime));
  const local = await startLocalRun(path);
  t.after(() => local.interrupt());
  await local.waitForLine(/^Edit the weights/u);
  const load = keepSending(`${local.routerUrl}/v2/models/m/infer`, body, 3);
  await writeFile(path, manifest(0, candidateRuntime));
  const last = await local.waitForLine(/^rollout: (Succeeded|Aborted)/u, 90_000).finally(() => load.stop());
  const clients = await load.stop();
  const lines = local.output.filter((line) => line.startsWith('rollout:'));
  process.stdout.write(`# ${last}\n#   clients: ${clients.sent} sent, ${clients.failed} failed\n`);
  return { lines, failed: clients.failed };
}

test('a good candidate is shadowed, walks every step and reaches the manifest weights', async (t) => {
  const { lines } = await rollOut(t, addModel({ scale: 2, offset: 1 }));
  assert.match(lines[0]!, /^rollout: Shadowing \(shadow, traffic v1=100,v2=0\): comparing v2's answers with v1's/u);
  assert.ok(lines.some((line) => /^rollout: Paused \(step 2\/4, traffic v1=80,v2=20\)/u.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /^rollout: Paused \(step 4\/4, traffic v1=50,v2=50\)/u.test(line)), lines.join('\n'));
  assert.match(lines.at(-1)!, /^rollout: Succeeded \(step 4\/4, traffic v1=0,v2=100\): rollout of v2 succeeded/u);
});

test('a candidate that answers 503 is aborted while shadowed and never serves a live request', async (t) => {
  const { lines, failed } = await rollOut(t, slowAddModel({ scale: 2, offset: 1, rounds: 500 }), ', runtime: {workers: 1, maxQueueSize: 1}');
  assert.match(lines.at(-1)!, /^rollout: Aborted \(shadow, traffic v1=100,v2=0\): rollout of v2 aborted by the shadow comparison .* failed/u);
  assert.doesNotMatch(lines.at(-1)!, /v2 served [1-9]/u);
  assert.equal(failed, 0, 'clients never saw the candidate fail');
});

test('a candidate whose outputs differ is aborted while shadowed', async (t) => {
  const { lines } = await rollOut(t, addModel({ scale: 2, offset: 1.5 }));
  assert.match(lines.at(-1)!, /^rollout: Aborted \(shadow, traffic v1=100,v2=0\): rollout of v2 aborted by the shadow comparison .*largest difference 0\.5/u);
});

test('a candidate with the same answers but several times slower passes the shadow and is aborted by the live latency gate', async (t) => {
  const { lines } = await rollOut(t, slowAddModel({ scale: 2, offset: 1, rounds: 800 }));
  assert.ok(lines.some((line) => line.startsWith('rollout: Paused (step 2/4, traffic v1=80,v2=20)')), lines.join('\n'));
  // The first live step that sees minRequests of its requests aborts it (at 20% it may see too few).
  assert.match(lines.at(-1)!, /^rollout: Aborted \(step [24]\/4, traffic v1=100,v2=0\): rollout of v2 aborted by the live analysis .*p99 .*x the stable's/u);
});
