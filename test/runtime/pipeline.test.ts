// Declared ONNX steps around the model: scaler -> model -> argmax answers exactly what the
// three graphs give when run one after another with onnxruntime, batched or not; callers
// see the pipeline's inputs and outputs; a pipeline that does not connect never gets ready.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import { argmaxModel, mlpModel, scalerModel, seededRandom } from '../../tools/onnx/models.ts';
import { binaryOutputs, bytesOf, postBinary, postJson, send, startTestServer, tempFile } from './harness.ts';

const ort = await loadOnnxRuntime();
const MEAN = [1, -2, 0.5, 3];
const STD = [2, 0.5, 1, 4];
const scaler = scalerModel({ mean: MEAN, std: STD, inputName: 'features', outputName: 'scaled' });
const model = mlpModel({ layers: [4, 16, 5], inputName: 'scaled', outputName: 'logits', seed: 3 });
const argmax = argmaxModel({ classes: 5, inputName: 'logits', outputName: 'class' });

/** The reference: the three graphs, one after another, in onnxruntime directly. */
async function reference(features: Float32Array, rows: number): Promise<{ logits: number[]; classes: bigint[] }> {
  let value: InstanceType<typeof ort.Tensor> = new ort.Tensor('float32', features, [rows, 4]);
  const names = [
    ['features', 'scaled'],
    ['scaled', 'logits'],
  ] as const;
  const tensors: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const [graph, [input, output]] of [scaler, model].map((bytes, index) => [bytes, names[index]!] as const)) {
    const session = await ort.InferenceSession.create(graph);
    value = (await session.run({ [input]: value }))[output]!;
    tensors[output] = value;
    await session.release();
  }
  const head = await ort.InferenceSession.create(argmax);
  const classes = (await head.run({ logits: value })).class!;
  await head.release();
  return { logits: Array.from(tensors.logits!.data as Float32Array), classes: Array.from(classes.data as BigInt64Array) };
}

function pipelineFlag(t: TestContext): string {
  return JSON.stringify({
    preprocess: [{ model: tempFile(t, 'scaler.onnx', scaler) }],
    postprocess: [{ model: tempFile(t, 'argmax.onnx', argmax) }],
  });
}

function randomFeatures(rows: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: rows * 4 }, () => next() * 5);
}

async function inferAll(url: string, requests: readonly Float32Array[], output: string): Promise<unknown[][]> {
  // Concurrent requests so that, with batching on, several share one execution.
  const replies = await Promise.all(
    requests.map((features, index) =>
      postJson(url, '/v2/models/m/infer', {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [index + 1, 4], data: Array.from(features) }],
        outputs: [{ name: output }],
      }),
    ),
  );
  return replies.map((reply) => {
    assert.equal(reply.status, 200, reply.body.toString());
    return reply.json.outputs[0].data;
  });
}

for (const batching of [false, true]) {
  test(`scaler -> model -> argmax equals the three graphs run one after another (${batching ? 'dynamic batching' : 'no batching'})`, async (t) => {
    const batchFlags: Record<string, string> = { 'max-batch-size': batching ? '16' : '0' };
    const full = await startTestServer(t, model, { pipeline: pipelineFlag(t), ...batchFlags });
    // The model's own output is compared bit for bit through a pipeline that stops at the model.
    const scalerOnly = JSON.stringify({ preprocess: [{ model: tempFile(t, 'scaler.onnx', scaler) }] });
    const partial = await startTestServer(t, model, { pipeline: scalerOnly, ...batchFlags });
    const config = await send(full.url, 'GET', '/v2/models/m/config');
    assert.equal(config.json.max_batch_size, batching ? 16 : 0, 'batching is on exactly when asked for');
    const requests = Array.from({ length: 6 }, (_, index) => randomFeatures(index + 1, 100 + index));
    const classes = await inferAll(full.url, requests, 'class');
    const logits = await inferAll(partial.url, requests, 'logits');
    for (const [index, features] of requests.entries()) {
      const expected = await reference(features, index + 1);
      assert.deepEqual(classes[index], expected.classes.map(Number));
      assert.deepEqual(logits[index], expected.logits);
    }
  });
}

test('binary requests, metadata and /config describe the pipeline, not the raw model', async (t) => {
  const server = await startTestServer(t, model, { pipeline: pipelineFlag(t) });
  const metadata = await send(server.url, 'GET', '/v2/models/m');
  assert.deepEqual(metadata.json.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
  assert.deepEqual(metadata.json.outputs, [{ name: 'class', datatype: 'INT64', shape: [-1] }]);
  const config = await send(server.url, 'GET', '/v2/models/m/config');
  assert.deepEqual(
    config.json.input.map((input: { name: string }) => input.name),
    ['features'],
  );
  const features = randomFeatures(3, 9);
  const reply = await postBinary(
    server.url,
    '/v2/models/m/infer',
    {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [3, 4], parameters: { binary_data_size: features.byteLength } }],
      parameters: { binary_data_output: true },
    },
    [bytesOf(features)],
  );
  assert.equal(reply.status, 200, reply.body.toString());
  const blob = binaryOutputs(reply).get('class')!;
  const classes = new BigInt64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length));
  assert.deepEqual(Array.from(classes), (await reference(features, 3)).classes);
});

test('a pipeline that does not connect stays not ready with a message naming the steps', async (t) => {
  const wrongName = JSON.stringify({
    preprocess: [{ model: tempFile(t, 'scaler.onnx', scalerModel({ mean: MEAN, std: STD, outputName: 'normalised' })) }],
  });
  const misnamed = await startTestServer(t, model, { pipeline: wrongName });
  const ready = await send(misnamed.url, 'GET', '/v2/health/ready');
  assert.equal(ready.status, 503);
  assert.equal(
    ready.json.reason,
    "model 'm' failed to load: the pipeline does not connect: preprocess[0] (model) output 'normalised' feeds no later step (the model's inputs are 'scaled')",
  );

  const wrongType = JSON.stringify({
    postprocess: [{ model: tempFile(t, 'argmax.onnx', argmaxModel({ classes: 7, inputName: 'logits' })) }],
  });
  const mistyped = await startTestServer(t, model, { pipeline: wrongType });
  const reason = (await send(mistyped.url, 'GET', '/v2/health/ready')).json.reason;
  assert.equal(
    reason,
    "model 'm' failed to load: the pipeline does not connect: postprocess[0] (model) input 'logits' is FP32 [-1,7] but model produces it as FP32 [-1,5]",
  );
});
