// Triton's classification extension: exact strings and order, with and without labels,
// V2 JSON and binary, V1 predict, and the errors a client can cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { classify, formatFixed6 } from '../../runtime/server/classification.ts';
import { identityModel } from '../../tools/onnx/models.ts';
import { binaryOutputs, postJson, send, startTestServer, tempFile } from './harness.ts';

const SCRIPT = fileURLToPath(new URL('./tritonclient_classification.py', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';
const LABELS = 'cat\ndog\n\nbird\r\n';
const INFER = '/v2/models/m/infer';

test('scores print as C printf("%f"): six decimals, exact ties to even, signs, huge values', () => {
  assert.equal(formatFixed6(0.5), '0.500000');
  assert.equal(formatFixed6(0.0078125), '0.007812'); // exact tie: even digit kept
  assert.equal(formatFixed6(0.0234375), '0.023438'); // exact tie: odd digit rounds up
  assert.equal(formatFixed6(Math.fround(0.1)), '0.100000');
  assert.equal(formatFixed6(-0), '-0.000000');
  assert.equal(formatFixed6(-1e-9), '-0.000000');
  assert.equal(formatFixed6(1e21), '1000000000000000000000.000000');
  assert.equal(formatFixed6(Infinity), 'inf');
  assert.equal(formatFixed6(-Infinity), '-inf');
  assert.equal(formatFixed6(NaN), 'nan');
});

test('classify: top-k per row, ties by lower index, labels appended unless missing or empty', () => {
  const tensor = { name: 'out', datatype: 'FP32' as const, shape: [2, 4], data: Float32Array.from([0.25, 0.5, 0.5, 0, 1, 2, 3, 4]) };
  const result = classify(tensor, 3, ['a', '', 'c'], true);
  assert.ok(result.ok);
  assert.deepEqual(result.tensor.shape, [2, 3]);
  assert.deepEqual(result.tensor.data, ['0.500000:1', '0.500000:2:c', '0.250000:0:a', '4.000000:3', '3.000000:2:c', '2.000000:1']);
  const whole = classify({ ...tensor, datatype: 'INT32', data: Int32Array.from([5, 1, 9, 9, 0, 0, 0, 0]) }, 2, [], false);
  assert.ok(whole.ok);
  assert.deepEqual(whole.tensor.shape, [2]);
  assert.deepEqual(whole.tensor.data, ['9:2', '9:3']);
  const refused = classify({ ...tensor, datatype: 'BOOL', data: new Uint8Array(8) }, 1, [], true);
  assert.deepEqual(refused, { ok: false, message: "class result not available for output 'out' due to unsupported type 'BOOL'" });
});

test("tritonclient class_count gets Triton's exact strings, with and without labels, JSON and binary", async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, tritonclient.http'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `this test needs Python with tritonclient: pip install 'tritonclient[http]' (${probe.error?.message ?? probe.stderr.trim()})`,
  );
  const labels = tempFile(t, 'labels.txt', LABELS);
  const plain = await startTestServer(t, identityModel('FP32', ['batch', 5]));
  const labelled = await startTestServer(t, identityModel('FP32', ['batch', 5]), { labels });
  for (const [server, labelsArg] of [
    [plain, '-'],
    [labelled, labels],
  ] as const) {
    const run = await promisify(execFile)(PYTHON, [SCRIPT, new URL(server.url).host, 'm', labelsArg], {
      encoding: 'utf8',
      timeout: 120_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) =>
      assert.fail(`tritonclient check failed: ${error.message}\n${error.stdout}\n${error.stderr}`),
    );
    assert.equal(run.stdout.trim(), 'ok');
  }
});

test('V2 JSON and binary, V1 predict, /config label_filename, and the errors a client can cause', async (t) => {
  const server = await startTestServer(t, identityModel('FP32', ['batch', 5]), { labels: tempFile(t, 'labels.txt', LABELS) });
  const input = { name: 'input', datatype: 'FP32', shape: [1, 5], data: [0.1, 0.9, 0.3, 0.2, 0.05] };
  const json = await postJson(server.url, INFER, { inputs: [input], outputs: [{ name: 'output', parameters: { classification: 2 } }] });
  assert.equal(json.status, 200, json.body.toString());
  assert.deepEqual(json.json.outputs[0], { name: 'output', datatype: 'BYTES', shape: [1, 2], data: ['0.900000:1:dog', '0.300000:2'] });

  const binary = await postJson(server.url, INFER, {
    inputs: [input],
    outputs: [{ name: 'output', parameters: { classification: 1, binary_data: true } }],
  });
  const blob = binaryOutputs(binary).get('output')!;
  assert.equal(blob.readUInt32LE(0), '0.900000:1:dog'.length);
  assert.equal(blob.subarray(4).toString(), '0.900000:1:dog');

  const v1 = await postJson(server.url, '/v1/models/m:predict', { instances: [[1, 2, 3, 4, 5]], parameters: { classification: 2 } });
  assert.equal(v1.status, 200, v1.body.toString());
  assert.deepEqual(v1.json, { predictions: [['5.000000:4', '4.000000:3:bird']] });

  const config = await send(server.url, 'GET', '/v2/models/m/config');
  assert.equal(config.json.output[0].label_filename, 'labels.txt');

  const bad = await postJson(server.url, INFER, { inputs: [input], outputs: [{ name: 'output', parameters: { classification: 0 } }] });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /parameters\.classification must be a positive integer/);
  const badV1 = await postJson(server.url, '/v1/models/m:predict', { instances: [[1, 2, 3, 4, 5]], parameters: { classification: 'two' } });
  assert.equal(badV1.status, 400);
  assert.match(badV1.json.error, /parameters\.classification must be a positive integer/);
});

test("classification of a BOOL output is refused with Triton's message", async (t) => {
  const server = await startTestServer(t, identityModel('BOOL', ['batch', 3]));
  const reply = await postJson(server.url, INFER, {
    inputs: [{ name: 'input', datatype: 'BOOL', shape: [1, 3], data: [true, false, true] }],
    outputs: [{ name: 'output', parameters: { classification: 1 } }],
  });
  assert.equal(reply.status, 400);
  assert.equal(reply.json.error, "class result not available for output 'output' due to unsupported type 'BOOL'");
});

test('a labels file that cannot be read keeps the server not ready, with the reason', async (t) => {
  const server = await startTestServer(t, identityModel('FP32', ['batch', 5]), { labels: '/nonexistent/labels.txt' });
  const ready = await send(server.url, 'GET', '/v2/health/ready');
  assert.equal(ready.status, 503);
  assert.match(ready.json.reason, /cannot read the labels file \/nonexistent\/labels\.txt/);
});
