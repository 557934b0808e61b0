// The generated test models load and compute what they claim in onnxruntime-node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import {
  addModel,
  castModel,
  fixedShapeModel,
  identityModel,
  imageModel,
  mlpModel,
  multiIoModel,
  type OnnxElemType,
} from '../../tools/onnx/models.ts';

const ort = await loadOnnxRuntime();
type Tensor = InstanceType<typeof ort.Tensor>;

async function run(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

test('addModel computes scale * x + offset with a dynamic batch', async () => {
  const out = await run(addModel({ scale: 3, offset: -1, features: 2 }), {
    input: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]),
  });
  assert.deepEqual(Array.from(out.output!.data as Float32Array), [2, 5, 8, 11, 14, 17]);
  assert.deepEqual(out.output!.dims, [3, 2]);
});

test('mlpModel is deterministic and has the requested shape', async () => {
  const input = new ort.Tensor('float32', new Float32Array(5 * 784).fill(0.5), [5, 784]);
  const a = await run(mlpModel({ layers: [784, 512, 512, 10] }), { input });
  const b = await run(mlpModel({ layers: [784, 512, 512, 10] }), { input });
  assert.deepEqual(a.output!.dims, [5, 10]);
  assert.deepEqual(Array.from(a.output!.data as Float32Array), Array.from(b.output!.data as Float32Array));
  const c = await run(mlpModel({ layers: [784, 512, 512, 10], seed: 1 }), { input });
  assert.notDeepEqual(Array.from(a.output!.data as Float32Array), Array.from(c.output!.data as Float32Array));
});

test('multiIoModel has two inputs and three outputs', async () => {
  const a = new ort.Tensor('float32', Float32Array.from([1, 5, 3]), [1, 3]);
  const b = new ort.Tensor('float32', Float32Array.from([2, 4, 3]), [1, 3]);
  const out = await run(multiIoModel(), { a, b });
  assert.deepEqual(Array.from(out.sum!.data as Float32Array), [3, 9, 6]);
  assert.deepEqual(Array.from(out.product!.data as Float32Array), [2, 20, 9]);
  assert.deepEqual(Array.from(out.greater!.data as Uint8Array).map(Boolean), [false, true, false]);
});

const identityCases: ReadonlyArray<[OnnxElemType, Tensor]> = [
  ['INT64', new ort.Tensor('int64', BigInt64Array.from([1n, -2n, 3n, 1n << 40n]), [1, 4])],
  ['BOOL', new ort.Tensor('bool', Uint8Array.from([1, 0, 0, 1]), [1, 4])],
  ['UINT8', new ort.Tensor('uint8', Uint8Array.from([0, 1, 254, 255]), [1, 4])],
  ['INT8', new ort.Tensor('int8', Int8Array.from([-128, -1, 0, 127]), [1, 4])],
  ['INT16', new ort.Tensor('int16', Int16Array.from([-3, 0, 3, 30000]), [1, 4])],
  ['UINT16', new ort.Tensor('uint16', Uint16Array.from([0, 1, 2, 65535]), [1, 4])],
  ['INT32', new ort.Tensor('int32', Int32Array.from([-7, 0, 7, 2 ** 30]), [1, 4])],
  ['UINT32', new ort.Tensor('uint32', Uint32Array.from([0, 1, 2, 2 ** 32 - 1]), [1, 4])],
  ['UINT64', new ort.Tensor('uint64', BigUint64Array.from([0n, 1n, 2n, (1n << 64n) - 1n]), [1, 4])],
  ['FP64', new ort.Tensor('float64', Float64Array.from([0.1, -2.5, 1e300, 3]), [1, 4])],
  ['FP16', new ort.Tensor('float16', Uint16Array.from([0x3c00, 0xc000, 0x0000, 0x7bff]), [1, 4])],
  ['BYTES', new ort.Tensor('string', ['a', '', 'héllo', 'z'], [1, 4])],
];

for (const [type, tensor] of identityCases) {
  test(`identityModel(${type}) passes its tensor through`, async () => {
    const out = await run(identityModel(type), { input: tensor });
    assert.equal(out.output!.type, tensor.type);
    assert.deepEqual(Array.from(out.output!.data as ArrayLike<unknown>), Array.from(tensor.data as ArrayLike<unknown>));
  });
}

test('castModel converts between element types', async () => {
  const out = await run(castModel('FP32', 'INT64'), { input: new ort.Tensor('float32', Float32Array.from([1.7, -2, 3, 4]), [1, 4]) });
  assert.deepEqual(Array.from(out.output!.data as BigInt64Array), [1n, -2n, 3n, 4n]);
});

test('fixedShapeModel has fixed dims and triples its input', async () => {
  const session = await ort.InferenceSession.create(fixedShapeModel());
  try {
    const meta = session.inputMetadata[0]!;
    assert.ok(meta.isTensor);
    if (meta.isTensor) assert.deepEqual(meta.shape, [2, 3]);
    const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
    assert.deepEqual(Array.from(out.output!.data as Float32Array), [3, 6, 9, 12, 15, 18]);
  } finally {
    await session.release();
  }
});

test('imageModel takes [batch, 3, 224, 224] and returns class probabilities', async () => {
  const out = await run(imageModel(), {
    input: new ort.Tensor('float32', new Float32Array(2 * 3 * 224 * 224).fill(0.25), [2, 3, 224, 224]),
  });
  assert.deepEqual(out.output!.dims, [2, 10]);
  const first = Array.from(out.output!.data as Float32Array).slice(0, 10);
  assert.ok(Math.abs(first.reduce((s, v) => s + v, 0) - 1) < 1e-5);
});
