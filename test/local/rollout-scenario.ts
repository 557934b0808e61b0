// One rollout in local mode as a user drives it, shared by the tests and bench/rollout.ts:
// `kubeinfer run` with v1 = the stable model (y = 2x + 1) at 100% and v2 = the candidate at
// 0%, client load on the router, then the manifest edited to v2 = 100%, until the run
// prints the rollout's decision.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../../tools/onnx/models.ts';
import { keepSending } from '../operator/rollout-fixture.ts';
import { startLocalRun } from './session.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });

export interface LocalScenario {
  readonly candidate: Uint8Array;
  /** Extra fields of v2's flow mapping, e.g. `, runtime: {maxQueueSize: 1}`. */
  readonly candidateRuntime?: string;
  /** Length of the shadow phase and of each pause. */
  readonly pauseSeconds: number;
  readonly concurrency?: number;
}

export interface LocalDecision {
  /** Every `rollout:` line, in order. */
  readonly lines: readonly string[];
  /** Seconds from the manifest edit to the decision. */
  readonly seconds: number;
  readonly sent: number;
  readonly failed: number;
}

function manifest(v1: number, scenario: LocalScenario): string {
  return `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata: {name: m}
spec:
  versions:
    - {name: v1, model: {uri: "file://./stable.onnx"}, weight: ${v1}}
    - {name: v2, model: {uri: "file://./candidate.onnx"}, weight: ${100 - v1}${scenario.candidateRuntime ?? ''}}
  runtime: {workers: 1}
  rollout:
    steps: [{setWeight: 20}, {pause: {duration: ${scenario.pauseSeconds}s}}, {setWeight: 50}, {pause: {duration: ${scenario.pauseSeconds}s}}]
    analysis: {interval: 1s, failureLimit: 2, minRequests: 10, successRate: 0.95, maxLatencyRatio: 3, shadow: {duration: ${scenario.pauseSeconds}s, minAgreement: 0.95}}
`;
}

/** Runs the scenario to its decision (Succeeded or Aborted), then stops everything. */
export async function decideLocally(scenario: LocalScenario): Promise<LocalDecision> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-rollout-'));
  try {
    await writeFile(join(dir, 'stable.onnx'), addModel({ scale: 2, offset: 1 }));
    await writeFile(join(dir, 'candidate.onnx'), scenario.candidate);
    const path = join(dir, 'service.yaml');
    await writeFile(path, manifest(100, scenario));
    const local = await startLocalRun(path);
    try {
      const load = keepSending(`${local.routerUrl}/v2/models/m/infer`, body, scenario.concurrency ?? 3);
      const started = performance.now();
      await writeFile(path, manifest(0, scenario));
      await local.waitForLine(/^rollout: (Succeeded|Aborted)/u, 180_000).finally(() => load.stop());
      const seconds = (performance.now() - started) / 1000;
      const clients = await load.stop();
      return { lines: local.output.filter((line) => line.startsWith('rollout:')), seconds, sent: clients.sent, failed: clients.failed };
    } finally {
      await local.interrupt();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
