// Pure parts of the runtime: FP16 conversion, CPU budget, settings resolution, and the JSON
// thread's answers against those written in place (the batching scheduler has its own file,
// scheduler.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupCpuLimit } from '../../runtime/engine/cpus.ts';
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
