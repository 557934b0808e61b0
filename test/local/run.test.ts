// `kubeinfer run` end to end: real `kubeinfer serve` runtimes for real ONNX models
// (file:// relative and absolute, and http://), the router in front, live edits of the
// manifest, and a clean Ctrl-C.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { addModel } from '../../tools/onnx/models.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { countByVersion, send, sendMany } from '../router/support.ts';
import { CLI } from '../router/process.ts';
import { startLocalRun } from './session.ts';
import type { LocalRun } from './session.ts';

const run = promisify(execFile);
let dir: string;
let runTmp: string;
let modelServer: Server;
let local: LocalRun | undefined;

function manifest(weights: readonly [number, number, number], modelUrl: string): string {
  return `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata:
  name: linear
spec:
  versions:
    - name: v1
      model: {uri: "file://./models/v1.onnx"}
      weight: ${weights[0]}
    - name: v2
      model: {uri: "file://${join(dir, 'models', 'v2.onnx')}"}
      weight: ${weights[1]}
    - name: v3
      model: {uri: "${modelUrl}"}
      weight: ${weights[2]}
  runtime: {workers: 1}
`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-local-'));
  runTmp = join(dir, 'tmp');
  await mkdir(join(dir, 'models'), { recursive: true });
  await mkdir(runTmp);
  await writeFile(join(dir, 'models', 'v1.onnx'), addModel({ scale: 2, offset: 1, features: 1 }));
  await writeFile(join(dir, 'models', 'v2.onnx'), addModel({ scale: 3, offset: 1, features: 1 }));
  const v3 = addModel({ scale: 4, offset: 1, features: 1 });
  modelServer = createServer((_req, res) => res.writeHead(200, { 'content-length': v3.length }).end(v3));
  modelServer.listen(0, '127.0.0.1');
  await once(modelServer, 'listening');
});

after(async () => {
  await local?.interrupt();
  modelServer.close();
  await rm(dir, { recursive: true, force: true });
});

const PYTHON = process.env.PYTHON ?? 'python3';
const TRITON_PINNED_INFER = `
import sys, numpy as np, tritonclient.grpc as g
client = g.InferenceServerClient(sys.argv[1])
x = g.InferInput("input", [1, 1], "FP32")
x.set_data_from_numpy(np.array([[1]], dtype=np.float32))
result = client.infer("linear", [x], model_version="v2")
print(result.get_response().model_version, result.as_numpy("output").tolist())
`;
const inferBody = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });
const EXPECTED: Record<string, number> = { v1: 3, v2: 4, v3: 5 };

test('serves every version behind the router with the declared split', async () => {
  const modelUrl = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/v3.onnx`;
  await writeFile(join(dir, 'service.yaml'), manifest([70, 20, 10], modelUrl));
  local = await startLocalRun(join(dir, 'service.yaml'), { ...process.env, TMPDIR: runTmp });
  assert.deepEqual([...local.runtimes.keys()], ['v1', 'v2', 'v3']);
  assert.ok(
    local.output.some((line) =>
      line.includes(
        `curl -s ${local!.routerUrl}/v2/models/linear/infer -H 'content-type: application/json' -d '{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[1]}]}'`,
      ),
    ),
  );
  const answers = await sendMany(100, 1, () => [
    `${local!.routerUrl}/v2/models/linear/infer`,
    { body: inferBody, headers: { 'content-type': 'application/json' } },
  ]);
  assert.deepEqual(countByVersion(answers), { v1: 70, v2: 20, v3: 10 });
  for (const answer of answers) {
    assert.ok(!(answer instanceof Error));
    const body = JSON.parse(answer.body.toString());
    assert.equal(body.model_version, answer.headers['x-kubeinfer-version']);
    assert.deepEqual(body.outputs[0].data, [EXPECTED[body.model_version]]);
  }
});

test('pins versions by path and header; V1 predict goes through too', async () => {
  const url = local!.routerUrl;
  const byPath = JSON.parse((await send(`${url}/v2/models/linear/versions/v3/infer`, { body: inferBody })).body.toString());
  assert.deepEqual([byPath.model_version, byPath.outputs[0].data], ['v3', [5]]);
  const byHeader = await send(`${url}/v1/models/linear:predict`, {
    body: '{"instances": [[1]]}',
    headers: { 'x-kubeinfer-version': 'v2' },
  });
  assert.equal(byHeader.headers['x-kubeinfer-version'], 'v2');
  assert.deepEqual(JSON.parse(byHeader.body.toString()).predictions, [[4]]);
  const missing = await send(`${url}/v2/models/linear/versions/v9/infer`, { body: inferBody });
  assert.equal(missing.status, 404);
});

test('gRPC through the local router: the same split, pins by model_version (also from tritonclient), and the printed grpcurl request', async () => {
  const client = connectGrpc(local!.grpcAddress);
  try {
    const printed = local!.output.find((line) => line.trimStart().startsWith('grpcurl '))!;
    const request = JSON.parse(/-d '([^']+)'/.exec(printed)![1]!);
    assert.deepEqual(request, {
      model_name: 'linear',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }],
    });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const answer = await client.call('ModelInfer', request);
      assert.deepEqual(answer.outputs[0].contents.fp32_contents, [EXPECTED[answer.model_version]]);
      counts[answer.model_version] = (counts[answer.model_version] ?? 0) + 1;
    }
    assert.deepEqual(counts, { v1: 70, v2: 20, v3: 10 });
    assert.equal((await client.call('ModelInfer', { ...request, model_version: 'v3' })).model_version, 'v3');
    assert.equal(await client.health(), 'SERVING');
    // Triton's own client, pinned by its model_version argument.
    const triton = await run(PYTHON, ['-c', TRITON_PINNED_INFER, local!.grpcAddress], { encoding: 'utf8' });
    assert.equal(triton.stdout.trim(), 'v2 [[4.0]]');
  } finally {
    client.close();
  }
});

test('binary tensor requests and responses pass through the router byte for byte', async () => {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', shape: [2, 1], datatype: 'FP32', parameters: { binary_data_size: 8 } }],
      outputs: [{ name: 'output', parameters: { binary_data: true } }],
    }),
  );
  const body = Buffer.concat([header, Buffer.from(new Float32Array([1, 2]).buffer)]);
  const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': header.length };
  const viaRouter = await send(`${local!.routerUrl}/v2/models/linear/versions/v2/infer`, { body, headers });
  const direct = await send(`${local!.runtimes.get('v2')}/v2/models/linear/versions/v2/infer`, { body, headers });
  assert.equal(viaRouter.status, 200);
  assert.ok(viaRouter.body.equals(direct.body), 'the router changed the binary response');
  assert.equal(viaRouter.headers['inference-header-content-length'], direct.headers['inference-header-content-length']);
  const jsonLength = Number(viaRouter.headers['inference-header-content-length']);
  const raw = viaRouter.body.subarray(jsonLength);
  assert.deepEqual([...new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))], [4, 7]);
});

test('weights edited in the manifest apply live', async () => {
  const path = join(dir, 'service.yaml');
  await writeFile(
    path,
    (await readFile(path, 'utf8'))
      .replace('weight: 70', 'weight: 0')
      .replace('weight: 20', 'weight: 50')
      .replace('weight: 10', 'weight: 50'),
  );
  await local!.waitForLine(/^traffic now: v1=0 v2=50 v3=50/, 30_000);
  const counts = countByVersion(await sendMany(100, 1, () => [`${local!.routerUrl}/v2/models/linear/infer`, { body: inferBody }]));
  assert.deepEqual(counts, { v2: 50, v3: 50 });
});

test('Ctrl-C stops the router and every runtime and removes the work directory', async () => {
  const pids = execFileSync('pgrep', ['-P', String(local!.child.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
  assert.equal(pids.length, 3, 'one runtime process per version');
  assert.equal(await local!.interrupt(), 0);
  local = undefined;
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `runtime ${pid} still running`);
  assert.deepEqual(
    (await readdir(runTmp)).filter((name) => name.startsWith('kubeinfer-')),
    [],
  );
});

test('an invalid manifest is refused with the messages of kubeinfer validate', async () => {
  const path = join(dir, 'invalid.yaml');
  await writeFile(path, manifest([90, 20, 0], 'ftp://nowhere/model.onnx'));
  const validate = await run(process.execPath, [CLI, 'validate', '-f', path]).catch((error: { stdout: string }) => error);
  const refused = await run(process.execPath, [CLI, 'run', '-f', path, '--port', '0']).then(
    () => assert.fail('kubeinfer run accepted it'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, validate.stdout);
  assert.match(refused.stderr, /weights/);
  assert.match(refused.stderr, /ftp:\/\//);
});

test('pvc:// models are refused in local mode with a way out', async () => {
  const path = join(dir, 'pvc.yaml');
  await writeFile(path, manifest([100, 0, 0], 'pvc://models/fraud/model.onnx'));
  const refused = await run(process.execPath, [CLI, 'run', '-f', path, '--port', '0']).then(
    () => assert.fail('kubeinfer run accepted it'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /version v3: pvc:\/\/models\/fraud\/model.onnx: pvc:\/\/ models need a cluster; in local mode use file:\/\//,
  );
});
