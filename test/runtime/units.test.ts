// Pure parts of the runtime: FP16 conversion, CPU budget, settings resolution and the
// batching scheduler (driven by a scripted executor; the HTTP tests use real workers), and
// the JSON thread's answers against those written in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupCpuLimit } from '../../runtime/engine/cpus.ts';
import type { RunOutcome } from '../../runtime/engine/pool.ts';
import { Scheduler, type Executor } from '../../runtime/engine/scheduler.ts';
import type { Tensor } from '../../runtime/engine/tensor.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { halfToNumber, numberToHalf } from '../../runtime/server/fp16.ts';
import type { InferRequest, RequestedOutput } from '../../runtime/server/infer-request.ts';
import { encodeInferResponse } from '../../runtime/server/infer-response.ts';
import { INLINE_JSON_ELEMENTS, JsonCodec } from '../../runtime/server/json-codec.ts';

test('FP16 conversion is exact for representable values and rounds to nearest even', () => {
  for (const [value, bits] of [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [0, 0],
    [2 ** -24, 1],
    [Infinity, 0x7c00],
  ] as const) {
    assert.equal(numberToHalf(value), bits, `${value}`);
    assert.equal(halfToNumber(bits), value);
  }
  assert.equal(numberToHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to the even mantissa');
  assert.equal(numberToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(numberToHalf(1e6), 0x7c00, 'overflow becomes infinity');
  assert.ok(Number.isNaN(halfToNumber(numberToHalf(NaN))));
  assert.equal(halfToNumber(numberToHalf(-0)), -0);
});

test('the cgroup CPU limit caps thread planning', () => {
  assert.equal(cgroupCpuLimit('max 100000\n'), undefined);
  assert.equal(cgroupCpuLimit('150000 100000'), 2);
  assert.equal(cgroupCpuLimit('50000 100000'), 1);
  assert.equal(cgroupCpuLimit('garbage'), undefined);
});

test('settings: flags win over KUBEINFER_* variables, which win over defaults', () => {
  const resolved = resolveServeConfig(
    { workers: '3' },
    {
      KUBEINFER_MODEL_PATH: '/mnt/models/model.onnx',
      KUBEINFER_MODEL_NAME: 'fraud',
      KUBEINFER_WORKERS: '2',
      KUBEINFER_MAX_BATCH_SIZE: '16',
    },
  );
  assert.ok(resolved.ok);
  assert.equal(resolved.config.workers, 3);
  assert.equal(resolved.config.maxBatchSize, 16);
  assert.equal(resolved.config.port, 8080);
  assert.equal(resolved.config.modelVersion, '1');
  assert.equal(resolved.config.maxRequestBytes, 64 * 1024 * 1024);
  assert.equal(resolved.config.executionProvider, 'cpu');
});

const row = (value: number, rows = 1): Tensor => ({
  name: 'x',
  datatype: 'FP32',
  shape: [rows, 2],
  data: new Float32Array(rows * 2).fill(value),
});

/** An executor that records each execution and answers when told to. */
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
  return {
    executor,
    runs,
    attach: (s: Scheduler) => {
      scheduler = s;
    },
  };
}

const echo = (inputs: readonly Tensor[]): RunOutcome => ({
  ok: true,
  outputs: inputs.map((t) => ({ ...t, name: 'y' })),
  inferStartNs: 0,
  inferEndNs: 0,
});
const observer = { onExecution: () => {}, onQueueLength: () => {} };

test('scheduler: requests queued behind a busy worker run as one batch and split back in order', async () => {
  const script = scriptedExecutor(1);
  const scheduler = new Scheduler({ maxBatchSize: 8, maxQueueDelayNs: 0, maxQueueSize: 100 }, script.executor, observer);
  script.attach(scheduler);
  const first = scheduler.submit([row(1)], undefined, 1);
  const rest = [2, 3, 4].map((v) => scheduler.submit([row(v, v === 3 ? 2 : 1)], undefined, v === 3 ? 2 : 1));
  assert.equal(script.runs.length, 1, 'the first request runs at once; the others wait for the worker');
  script.runs[0]!.finish(echo(script.runs[0]!.inputs));
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(script.runs.length, 2);
  assert.deepEqual(script.runs[1]!.inputs[0]!.shape, [4, 2], 'three requests (1 + 2 + 1 rows) in one execution');
  script.runs[1]!.finish(echo(script.runs[1]!.inputs));
  const outcomes = await Promise.all(rest);
  assert.deepEqual(
    outcomes.map((o) => (o.ok ? Array.from(o.outputs[0]!.data as Float32Array) : o.kind)),
    [
      [2, 2],
      [3, 3, 3, 3],
      [4, 4],
    ],
  );
  assert.deepEqual(
    outcomes.map((o) => o.ok && o.timing.batchSize),
    [4, 4, 4],
  );
});

test('scheduler: a partial batch waits up to max queue delay for more rows', async () => {
  const script = scriptedExecutor(1);
  const scheduler = new Scheduler({ maxBatchSize: 4, maxQueueDelayNs: 30e6, maxQueueSize: 100 }, script.executor, observer);
  script.attach(scheduler);
  const a = scheduler.submit([row(1)], undefined, 1);
  assert.equal(script.runs.length, 0, 'waits for a fuller batch');
  const b = scheduler.submit([row(2, 3)], undefined, 3);
  assert.equal(script.runs.length, 1, 'a full batch runs without waiting');
  script.runs[0]!.finish(echo(script.runs[0]!.inputs));
  assert.ok((await a).ok && (await b).ok);
  const c = scheduler.submit([row(5)], undefined, 1);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(script.runs.length, 2, 'the delay expired, so the partial batch ran');
  script.runs[1]!.finish(echo(script.runs[1]!.inputs));
  assert.ok((await c).ok);
});

test('scheduler: a full queue refuses at once; a failed batch is retried one request at a time', async () => {
  const script = scriptedExecutor(1);
  const scheduler = new Scheduler({ maxBatchSize: 8, maxQueueDelayNs: 0, maxQueueSize: 2 }, script.executor, observer);
  script.attach(scheduler);
  const running = scheduler.submit([row(0)], undefined, 1);
  const queued = [scheduler.submit([row(1)], undefined, 1), scheduler.submit([row(2)], undefined, 1)];
  const refused = await scheduler.submit([row(3)], undefined, 1);
  assert.deepEqual(refused.ok ? 'ok' : refused.kind, 'QueueFull');
  script.runs[0]!.finish(echo(script.runs[0]!.inputs));
  await running;
  await new Promise((resolve) => setImmediate(resolve));
  script.runs[1]!.finish({ ok: false, message: 'bad value', workerLost: false });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(script.runs[2]!.inputs[0]!.shape, [1, 2], 'retried alone');
  script.runs[2]!.finish(echo(script.runs[2]!.inputs));
  await new Promise((resolve) => setImmediate(resolve));
  script.runs[3]!.finish({ ok: false, message: 'bad value', workerLost: false });
  const [good, bad] = await Promise.all(queued);
  assert.ok(good?.ok);
  assert.deepEqual(bad === undefined || bad.ok ? bad : [bad.kind, bad.message], ['Failed', 'bad value']);
});

test('an answer written on the JSON thread is byte for byte the one written in place, for every kind of data', async () => {
  const codec = new JsonCodec();
  const count = INLINE_JSON_ELEMENTS + 1;
  const outputs: Tensor[] = [
    { name: 'f32', datatype: 'FP32', shape: [count], data: new Float32Array(count).map((_, i) => i / 7 - 100).fill(Number.NaN, 0, 1) },
    { name: 'i64', datatype: 'INT64', shape: [count], data: new BigInt64Array(count).map((_, i) => BigInt(i) * 9_007_199_254_740_993n) },
    { name: 'f16', datatype: 'FP16', shape: [count], data: new Uint16Array(count).map((_, i) => numberToHalf(i / 3)) },
    { name: 'bool', datatype: 'BOOL', shape: [count], data: new Uint8Array(count).map((_, i) => i % 2) },
    { name: 'text', datatype: 'BYTES', shape: [count], data: Array.from({ length: count }, (_, i) => `é "${i}"`) },
    // A view into a shared buffer, as a batched request's outputs are.
    { name: 'view', datatype: 'INT32', shape: [2], data: new Int32Array([1, 2, 3, 4]).subarray(1, 3) },
  ];
  const model = { name: 'm', version: '2' };
  const wanted = (name: string, binary?: boolean): RequestedOutput => ({ name, binary, classification: undefined });
  const requests: InferRequest[] = [
    { id: 'r-1', inputs: [], outputs: undefined, binaryOutputs: false },
    { id: undefined, inputs: [], outputs: [wanted('view'), wanted('text'), wanted('f32', true)], binaryOutputs: false },
  ];
  for (const request of requests) {
    const inPlace = encodeInferResponse(model, request, outputs);
    const threaded = await codec.encode(model, request, outputs);
    assert.ok(threaded.ok);
    assert.deepEqual(threaded.value.headers, inPlace.headers);
    assert.deepEqual(Buffer.concat(threaded.value.chunks), Buffer.concat(inPlace.chunks));
  }
  await codec.close();
});
