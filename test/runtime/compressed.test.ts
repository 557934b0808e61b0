// Compressed models made with the tools users already use (onnxruntime.quantization's INT8
// dynamic and static QDQ, onnxconverter-common's FP16) are served by `kubeinfer serve` and
// answer within a stated tolerance of the FP32 model they came from, over V2 JSON, the
// binary extension and gRPC, with FP16 tensors wherever the model's edges are FP16, batched or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halfToNumber, numberToHalf } from '../../runtime/server/fp16.ts';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { mlpModel } from '../../tools/onnx/models.ts';
import { accuracyDelta, COMPRESS_MODULES, compressModel, uniformRows, type CompressedVariant } from '../../tools/onnx/compressed.ts';
import { binaryOutputs, bytesOf, float32s, postBinary, postJson, send, startTestServer } from './harness.ts';

const PYTHON = process.env.PYTHON ?? 'python3';
const LAYERS = [784, 512, 512, 10];
const [FEATURES, CLASSES] = [LAYERS[0]!, LAYERS.at(-1)!];
const ROWS = 32;
const INFER = '/v2/models/m/infer';
// Outputs span about ±0.18. Measured on this MLP and input set: FP16 within 1e-4 of FP32 and INT8
// within 2.5e-3 (QDQ flips 1 argmax in 32 near-ties); the limits leave room for other CPUs' kernels.
const TOLERANCE: Record<CompressedVariant, { maxAbsError: number; argmaxAgreement: number }> = {
  'int8-dynamic': { maxAbsError: 0.01, argmaxAgreement: 0.9 },
  'int8-qdq': { maxAbsError: 0.01, argmaxAgreement: 0.9 },
  fp16: { maxAbsError: 0.0005, argmaxAgreement: 1 },
  'fp16-io32': { maxAbsError: 0.0005, argmaxAgreement: 1 },
};

const probe = spawnSync(PYTHON, ['-c', COMPRESS_MODULES], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-compressed-'));
const fp32Path = join(dir, 'fp32.onnx');
writeFileSync(fp32Path, mlpModel({ layers: LAYERS }));
const variants = probe.status === 0 ? compressModel(PYTHON, fp32Path, dir) : undefined;
const rows = uniformRows(ROWS, FEATURES);
const reference = await fp32Reference();
const inputJson = { name: 'input', shape: [ROWS, FEATURES], datatype: 'FP32', data: Array.from(rows) };

function variantBytes(variant: CompressedVariant): Uint8Array {
  assert.ok(
    variants,
    `these tests need Python with onnx, onnxruntime and onnxconverter-common: pip install -r test/requirements.txt (${probe.error?.message ?? probe.stderr.trim()})`,
  );
  return readFileSync(variants[variant]);
}

/** The FP32 model's answers, from onnxruntime in this process. */
async function fp32Reference(): Promise<number[]> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(fp32Path);
  const out = await session.run({ input: new ort.Tensor('float32', rows, [ROWS, FEATURES]) });
  await session.release();
  return Array.from(out.output!.data as Float32Array);
}

function assertClose(variant: CompressedVariant, reference: readonly number[], served: readonly number[]) {
  const delta = accuracyDelta(reference, served, CLASSES);
  const limit = TOLERANCE[variant];
  assert.ok(delta.maxAbsError <= limit.maxAbsError, `${variant}: max abs error ${delta.maxAbsError} > ${limit.maxAbsError}`);
  assert.ok(delta.argmaxAgreement >= limit.argmaxAgreement, `${variant}: argmax agreement ${delta.argmaxAgreement}`);
  assert.ok(delta.maxAbsError > 0, `${variant}: answers identical to FP32, so the FP32 model was served`);
}

/** FP16 elements of a little-endian blob, as numbers. */
function halves16(blob: Uint8Array): number[] {
  return Array.from(new Uint16Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)), halfToNumber);
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const variant of ['int8-dynamic', 'int8-qdq', 'fp16-io32'] as const) {
  test(`${variant}: FP32 requests get FP32 answers within ${TOLERANCE[variant].maxAbsError} of the FP32 model`, async (t) => {
    const bytes = variantBytes(variant);
    const server = await startTestServer(t, bytes);
    const json = await postJson(server.url, INFER, { inputs: [inputJson] });
    assert.equal(json.status, 200, json.body.toString());
    assert.equal(json.json.outputs[0].datatype, 'FP32');
    assertClose(variant, reference, json.json.outputs[0].data);
    const binary = await postBinary(
      server.url,
      INFER,
      {
        inputs: [{ name: 'input', shape: [ROWS, FEATURES], datatype: 'FP32', parameters: { binary_data_size: rows.byteLength } }],
        outputs: [{ name: 'output', parameters: { binary_data: true } }],
      },
      [bytesOf(rows)],
    );
    assert.equal(binary.status, 200, binary.body.toString());
    assert.deepEqual(float32s(binaryOutputs(binary).get('output')!), json.json.outputs[0].data);
  });
}

test('fp16: metadata, JSON, binary and gRPC speak FP16 at the edges and agree with FP32 within 0.0005', async (t) => {
  const bytes = variantBytes('fp16');
  const server = await startTestServer(t, bytes, { 'grpc-port': String(await freePort()) });
  const metadata = (await send(server.url, 'GET', '/v2/models/m')).json;
  assert.deepEqual(
    [metadata.inputs[0].datatype, metadata.outputs[0].datatype],
    ['FP16', 'FP16'],
    'the converted model keeps FP16 inputs and outputs',
  );
  const json = await postJson(server.url, INFER, { inputs: [{ ...inputJson, datatype: 'FP16' }] });
  assert.equal(json.status, 200, json.body.toString());
  assert.equal(json.json.outputs[0].datatype, 'FP16');
  assertClose('fp16', reference, json.json.outputs[0].data);

  const halves = Uint16Array.from(rows, numberToHalf);
  const binary = await postBinary(
    server.url,
    INFER,
    {
      inputs: [{ name: 'input', shape: [ROWS, FEATURES], datatype: 'FP16', parameters: { binary_data_size: halves.byteLength } }],
      outputs: [{ name: 'output', parameters: { binary_data: true } }],
    },
    [bytesOf(halves)],
  );
  assert.equal(binary.status, 200, binary.body.toString());
  const blob = binaryOutputs(binary).get('output')!;
  assert.equal(blob.length, ROWS * CLASSES * 2, 'two bytes per FP16 output element');
  const decoded = halves16(blob);
  assert.deepEqual(decoded, json.json.outputs[0].data, 'binary FP16 answers are the JSON answers bit for bit');

  const wrongType = await postJson(server.url, INFER, { inputs: [inputJson] });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.json.error, /FP32.*FP16|FP16.*FP32/);

  const client = connectGrpc(server.grpcAddress);
  t.after(() => client.close());
  const reply = await client.call('ModelInfer', {
    model_name: 'm',
    inputs: [{ name: 'input', datatype: 'FP16', shape: [ROWS, FEATURES] }],
    raw_input_contents: [bytesOf(halves)],
  });
  assert.equal(reply.outputs[0].datatype, 'FP16');
  const raw = reply.raw_output_contents[0] as Uint8Array;
  const overGrpc = halves16(raw);
  assert.deepEqual(overGrpc, json.json.outputs[0].data, 'gRPC raw FP16 answers are the JSON answers');
});

test('fp16 with dynamic batching: concurrent FP16 requests share executions and each gets its own row back', async (t) => {
  const server = await startTestServer(t, variantBytes('fp16'), { 'max-batch-size': '16', 'max-queue-delay-micros': '5000', workers: '1' });
  const replies = await Promise.all(
    Array.from({ length: ROWS }, (_, row) =>
      postJson(server.url, INFER, {
        inputs: [
          { name: 'input', shape: [1, FEATURES], datatype: 'FP16', data: Array.from(rows.subarray(row * FEATURES, (row + 1) * FEATURES)) },
        ],
      }),
    ),
  );
  const served = replies.flatMap((reply) => {
    assert.equal(reply.status, 200, reply.body.toString());
    return reply.json.outputs[0].data as number[];
  });
  assertClose('fp16', reference, served);
  const stats = (await send(server.url, 'GET', '/v2/models/m/stats')).json.model_stats[0];
  assert.ok(
    stats.batch_stats.some((entry: { batch_size: number }) => entry.batch_size > 1),
    `no execution held more than one request: ${JSON.stringify(stats.batch_stats)}`,
  );
});
