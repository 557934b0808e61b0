// The batching scheduler, driven by a scripted executor and a hand-driven clock (the HTTP
// tests in batching.test.ts use real workers): batches form only behind busy workers, a lone
// request never waits, and a preferred batch size waits up to the queue delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunOutcome } from '../../runtime/engine/pool.ts';
import { Scheduler, type BatchingPolicy, type Executor, type SchedulerClock } from '../../runtime/engine/scheduler.ts';
import type { Tensor } from '../../runtime/engine/tensor.ts';

const row = (value: number, rows = 1): Tensor => ({
  name: 'x',
  datatype: 'FP32',
  shape: [rows, 2],
  data: new Float32Array(rows * 2).fill(value),
});

/** A clock that only moves when told to, firing the timers it passes. */
function manualClock() {
  let now = 0;
  const timers: { at: number; callback: () => void }[] = [];
  const clock: SchedulerClock = {
    nowNs: () => now,
    after: (delayNs, callback) => void timers.push({ at: now + delayNs, callback }),
  };
  const advance = (ns: number) => {
    now += ns;
    for (const timer of timers.filter((t) => t.at <= now)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.callback();
    }
  };
  return { clock, advance, pendingTimers: () => timers.length };
}

/** An executor with `workers` slots that records each execution and answers when told to. */
function scriptedExecutor(workers: number) {
  const runs: { inputs: readonly Tensor[]; finish: (outcome: RunOutcome) => void }[] = [];
  let busy = 0;
  let scheduler: Scheduler | undefined;
  const executor: Executor = {
    idleCount: () => workers - busy,
    run: (inputs) => {
      busy++;
      return new Promise((resolve) =>
        runs.push({
          inputs,
          finish: (outcome) => {
            busy--;
            resolve(outcome);
            queueMicrotask(() => scheduler?.pump());
          },
        }),
      );
    },
  };
  const attach = (attached: Scheduler) => {
    scheduler = attached;
  };
  return { executor, runs, attach };
}

const echo = (inputs: readonly Tensor[]): RunOutcome => ({
  ok: true,
  outputs: inputs.map((t) => ({ ...t, name: 'y' })),
  inferStartNs: 0,
  inferEndNs: 0,
});
const observer = { onExecution: () => {}, onQueueLength: () => {} };
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A scheduler over `workers` scripted workers and a manual clock. */
function setUp(workers: number, policy: Partial<BatchingPolicy>) {
  const script = scriptedExecutor(workers);
  const time = manualClock();
  const full: BatchingPolicy = { maxBatchSize: 8, preferredBatchSize: 0, maxQueueDelayNs: 0, maxQueueSize: 100, ...policy };
  const scheduler = new Scheduler(full, script.executor, observer, time.clock);
  script.attach(scheduler);
  return { scheduler, runs: script.runs, ...time };
}

test('scheduler: a lone request runs at once even with a long queue delay', async () => {
  const { scheduler, runs, pendingTimers } = setUp(2, { maxQueueDelayNs: 60e9 });
  const lone = scheduler.submit([row(7)], undefined, 1);
  assert.equal(runs.length, 1, 'dispatched on submit, without waiting for company');
  assert.equal(pendingTimers(), 0, 'no delay timer was armed');
  runs[0]!.finish(echo(runs[0]!.inputs));
  const outcome = await lone;
  assert.ok(outcome.ok);
  assert.equal(outcome.timing.batchSize, 1);
  assert.equal(outcome.timing.queueNs, 0, 'no time passed in the queue');
});

test('scheduler: requests spread over idle workers first, then batch behind busy ones, split back in order', async () => {
  const { scheduler, runs } = setUp(2, { maxQueueDelayNs: 60e9 });
  const running = [scheduler.submit([row(1)], undefined, 1), scheduler.submit([row(2)], undefined, 1)];
  assert.equal(runs.length, 2, 'each idle worker took one request');
  const queued = [3, 4, 5].map((v) => scheduler.submit([row(v, v === 4 ? 2 : 1)], undefined, v === 4 ? 2 : 1));
  assert.equal(runs.length, 2, 'every worker is busy: the rest queue');
  runs[0]!.finish(echo(runs[0]!.inputs));
  await running[0];
  await settle();
  assert.equal(runs.length, 3);
  assert.deepEqual(runs[2]!.inputs[0]!.shape, [4, 2], 'three queued requests (1 + 2 + 1 rows) in one execution');
  runs[2]!.finish(echo(runs[2]!.inputs));
  const outcomes = await Promise.all(queued);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? Array.from(o.outputs[0]!.data as Float32Array) : o.kind)),
    [
      [3, 3],
      [4, 4, 4, 4],
      [5, 5],
    ],
  );
  assert.deepEqual(
    outcomes.map((o) => o.ok && o.timing.batchSize),
    [4, 4, 4],
  );
});

test('scheduler: with a preferred batch size, a smaller batch waits up to the queue delay', async () => {
  const { scheduler, runs, advance } = setUp(1, { preferredBatchSize: 4, maxQueueDelayNs: 30e6 });
  const a = scheduler.submit([row(1)], undefined, 1);
  assert.equal(runs.length, 0, 'waits for the preferred size although the worker is idle');
  const b = scheduler.submit([row(2, 3)], undefined, 3);
  assert.equal(runs.length, 1, 'the preferred size is reached: it runs without waiting');
  assert.deepEqual(runs[0]!.inputs[0]!.shape, [4, 2]);
  runs[0]!.finish(echo(runs[0]!.inputs));
  assert.ok((await a).ok && (await b).ok);
  const c = scheduler.submit([row(5)], undefined, 1);
  advance(29e6);
  assert.equal(runs.length, 1, 'still inside the queue delay');
  advance(1e6);
  assert.equal(runs.length, 2, 'the delay expired, so the partial batch ran');
  runs[1]!.finish(echo(runs[1]!.inputs));
  const late = await c;
  assert.ok(late.ok);
  assert.equal(late.timing.queueNs, 30e6);
});

test('scheduler: a full queue refuses at once; a failed batch is retried one request at a time', async () => {
  const { scheduler, runs } = setUp(1, { maxQueueSize: 2 });
  const running = scheduler.submit([row(0)], undefined, 1);
  const queued = [scheduler.submit([row(1)], undefined, 1), scheduler.submit([row(2)], undefined, 1)];
  const refused = await scheduler.submit([row(3)], undefined, 1);
  assert.deepEqual(refused.ok ? 'ok' : refused.kind, 'QueueFull');
  runs[0]!.finish(echo(runs[0]!.inputs));
  await running;
  await settle();
  runs[1]!.finish({ ok: false, message: 'bad value', workerLost: false });
  await settle();
  assert.deepEqual(runs[2]!.inputs[0]!.shape, [1, 2], 'retried alone');
  runs[2]!.finish(echo(runs[2]!.inputs));
  await settle();
  runs[3]!.finish({ ok: false, message: 'bad value', workerLost: false });
  const [good, bad] = await Promise.all(queued);
  assert.ok(good?.ok);
  assert.deepEqual(bad === undefined || bad.ok ? bad : [bad.kind, bad.message], ['Failed', 'bad value']);
});
