// V2 inference over real HTTP against generated models, checked against in-process onnxruntime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import { fixedShapeModel, identityModel, mlpModel, multiIoModel, seededRandom, type OnnxElemType } from '../../tools/onnx/models.ts';
import { binaryOutputs, bytesOf, float32s, postBinary, postJson, send, startTestServer } from './harness.ts';

const ort = await loadOnnxRuntime();

async function inProcess(model: Uint8Array, input: Float32Array, dims: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    return Array.from(out.output!.data as Float32Array);
  } finally {
    await session.release();
  }
}

function randomInput(count: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: count }, () => next());
}

test('MLP over JSON and binary matches in-process onnxruntime exactly', async (t) => {
  const model = mlpModel({ layers: [16, 32, 32, 5] });
  const server = await startTestServer(t, model);
  const input = randomInput(3 * 16, 1);
  const expected = await inProcess(model, input, [3, 16]);

  const json = await postJson(server.url, '/v2/models/m/infer', {
    id: 'req-1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 16], data: Array.from(input) }],
  });
  assert.equal(json.status, 200, JSON.stringify(json.json));
  assert.equal(json.headers['content-type'], 'application/json');
  assert.deepEqual(json.json, {
    model_name: 'm',
    model_version: '1',
    id: 'req-1',
    outputs: [{ name: 'output', datatype: 'FP32', shape: [3, 5], data: expected }],
  });

  const binary = await postBinary(
    server.url,
    '/v2/models/m/infer',
    {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 16], parameters: { binary_data_size: input.byteLength } }],
      outputs: [{ name: 'output', parameters: { binary_data: true } }],
    },
    [bytesOf(input)],
  );
  assert.equal(binary.status, 200);
  assert.equal(binary.headers['content-type'], 'application/octet-stream');
  assert.deepEqual(binary.json.outputs, [{ name: 'output', datatype: 'FP32', shape: [3, 5], parameters: { binary_data_size: 60 } }]);
  assert.deepEqual(float32s(binaryOutputs(binary).get('output')!), expected);
});

test('nested JSON data is read row-major; binary input can answer in JSON and vice versa', async (t) => {
  const model = mlpModel({ layers: [2, 3] });
  const server = await startTestServer(t, model);
  const expected = await inProcess(model, Float32Array.from([1, 2, 3, 4]), [2, 2]);
  const nested = await postJson(server.url, '/v2/models/m/infer', {
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [2, 2],
        data: [
          [1, 2],
          [3, 4],
        ],
      },
    ],
    parameters: { binary_data_output: true },
  });
  assert.equal(nested.status, 200);
  assert.deepEqual(float32s(binaryOutputs(nested).get('output')!), expected);
  const input = Float32Array.from([1, 2, 3, 4]);
  const binaryIn = await postBinary(
    server.url,
    '/v2/models/m/infer',
    {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } }],
    },
    [bytesOf(input)],
  );
  assert.equal(binaryIn.headers['content-type'], 'application/json');
  assert.deepEqual(binaryIn.json.outputs[0].data, expected);
});

test('multi-input/multi-output: requested subset, order and per-output binary choice are honoured', async (t) => {
  const server = await startTestServer(t, multiIoModel());
  const a = Float32Array.from([1, 5, 3, -1, 0, 2]);
  const b = Float32Array.from([2, 4, 3, -2, 1, 2]);
  const reply = await postBinary(
    server.url,
    '/v2/models/m/versions/1/infer',
    {
      id: 'x',
      inputs: [
        { name: 'b', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 24 } },
        { name: 'a', datatype: 'FP32', shape: [2, 3], data: Array.from(a) },
      ],
      outputs: [{ name: 'greater' }, { name: 'sum', parameters: { binary_data: true } }],
    },
    [bytesOf(b)],
  );
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  assert.equal(reply.json.id, 'x');
  assert.deepEqual(
    reply.json.outputs.map((o: { name: string }) => o.name),
    ['greater', 'sum'],
  );
  assert.deepEqual(reply.json.outputs[0].data, [false, true, false, true, false, false]);
  assert.equal(reply.json.outputs[0].datatype, 'BOOL');
  assert.deepEqual(float32s(binaryOutputs(reply).get('sum')!), [3, 9, 6, -3, 1, 4]);
});

interface TypeCase {
  readonly type: OnnxElemType;
  readonly json: unknown[];
  /** What the server answers in JSON (defaults to `json`). */
  readonly answer?: unknown[];
  readonly binary: Uint8Array;
}

const le = (array: ArrayBufferView) => bytesOf(array);
const typeCases: readonly TypeCase[] = [
  { type: 'INT64', json: [1, -2, 3, 2 ** 40], binary: le(BigInt64Array.from([1n, -2n, 3n, 9007199254740993n])) },
  { type: 'UINT64', json: [0, 1, 2, 2 ** 50], binary: le(BigUint64Array.from([0n, 1n, 2n, 18446744073709551615n])) },
  { type: 'INT32', json: [-7, 0, 7, 2 ** 30], binary: le(Int32Array.from([-7, 0, 7, 2 ** 30])) },
  { type: 'INT16', json: [-3, 0, 3, 30000], binary: le(Int16Array.from([-3, 0, 3, 30000])) },
  { type: 'INT8', json: [-128, -1, 0, 127], binary: le(Int8Array.from([-128, -1, 0, 127])) },
  { type: 'UINT32', json: [0, 1, 2, 2 ** 32 - 1], binary: le(Uint32Array.from([0, 1, 2, 2 ** 32 - 1])) },
  { type: 'UINT16', json: [0, 1, 2, 65535], binary: le(Uint16Array.from([0, 1, 2, 65535])) },
  { type: 'UINT8', json: [0, 1, 254, 255], binary: Uint8Array.from([0, 1, 254, 255]) },
  { type: 'BOOL', json: [true, false, false, true], binary: Uint8Array.from([1, 0, 0, 1]) },
  { type: 'FP64', json: [0.1, -2.5, 1e300, 3], binary: le(Float64Array.from([0.1, -2.5, 1e300, 3])) },
  { type: 'FP16', json: [1, -2, 0.5, 65504], binary: le(Uint16Array.from([0x3c00, 0xc000, 0x3800, 0x7bff])) },
  { type: 'FP32', json: [1.5, -2, 0, 3.25], binary: le(Float32Array.from([1.5, -2, 0, 3.25])) },
  {
    type: 'BYTES',
    json: ['a', '', 'héllo', 'z'],
    binary: Buffer.concat(
      ['a', '', 'héllo', 'z'].map((s) => {
        const bytes = Buffer.from(s);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return Buffer.concat([length, bytes]);
      }),
    ),
  },
];

for (const { type, json, answer, binary } of typeCases) {
  test(`${type} tensors round-trip through JSON and binary`, async (t) => {
    const server = await startTestServer(t, identityModel(type));
    const viaJson = await postJson(server.url, '/v2/models/m/infer', {
      inputs: [{ name: 'input', datatype: type, shape: [1, 4], data: json }],
    });
    assert.equal(viaJson.status, 200, JSON.stringify(viaJson.json));
    assert.deepEqual(viaJson.json.outputs[0], { name: 'output', datatype: type, shape: [1, 4], data: answer ?? json });
    const viaBinary = await postBinary(
      server.url,
      '/v2/models/m/infer',
      {
        inputs: [{ name: 'input', datatype: type, shape: [1, 4], parameters: { binary_data_size: binary.length } }],
        parameters: { binary_data_output: true },
      },
      [binary],
    );
    assert.equal(viaBinary.status, 200, JSON.stringify(viaBinary.json));
    assert.deepEqual(new Uint8Array(binaryOutputs(viaBinary).get('output')!), new Uint8Array(binary));
  });
}

test('64-bit integers keep every digit in JSON responses', async (t) => {
  const server = await startTestServer(t, identityModel('INT64'));
  const big = BigInt64Array.from([9007199254740993n, -9223372036854775808n, 0n, 1n]);
  const reply = await postBinary(
    server.url,
    '/v2/models/m/infer',
    {
      inputs: [{ name: 'input', datatype: 'INT64', shape: [1, 4], parameters: { binary_data_size: 32 } }],
    },
    [bytesOf(big)],
  );
  assert.match(reply.body.toString(), /"data":\[9007199254740993,-9223372036854775808,0,1\]/);
});

test('a fixed-shape model is served with its fixed dimensions', async (t) => {
  const server = await startTestServer(t, fixedShapeModel(), { 'max-batch-size': '8' });
  const reply = await postJson(server.url, '/v2/models/m/infer', {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }],
  });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.json.outputs[0].data, [3, 6, 9, 12, 15, 18]);
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.equal(config.max_batch_size, 0, 'no dynamic batching for a model without a dynamic first dimension');
  assert.deepEqual(config.input[0].dims, [2, 3]);
  assert.equal(config.dynamic_batching, undefined);
});
