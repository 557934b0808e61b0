// `kubeinfer run --api-keys-file`: local mode behind API keys, with real
// `kubeinfer serve` runtimes for real ONNX models. The same answers as in the
// cluster (401 with a challenge, 200 with a key as Bearer or x-api-key, 403 for a
// weight-0 pin without the key scope `pin`), over HTTP and gRPC, an audit line per
// request, and an edited keys file taking effect without a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../../tools/onnx/models.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { auditLines } from '../router/auth-support.ts';
import { send } from '../router/support.ts';
import { startLocalRun, type LocalRun } from './session.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { SECRET_VALUES } from '../secret-values.ts';

const { localKey: KEY, localOtherKey: OTHER_KEY, localPinKey: PIN_KEY } = SECRET_VALUES;
const inferBody = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });
let dir: string;
let local: LocalRun | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-local-auth-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'v1.onnx'), addModel({ scale: 2, offset: 1, features: 1 }));
  await writeFile(join(dir, 'models', 'v2.onnx'), addModel({ scale: 10, offset: 0, features: 1 }));
  await writeFile(join(dir, 'keys.txt'), `# team keys\n${KEY}\n\n${OTHER_KEY}\n# the canary team may pin v2\n${PIN_KEY} pin\n`);
  await writeFile(
    join(dir, 'service.yaml'),
    `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata: {name: linear}
spec:
  versions:
    - {name: v1, model: {uri: "file://./models/v1.onnx"}, weight: 100}
    - {name: v2, model: {uri: "file://./models/v2.onnx"}, weight: 0}
  runtime: {workers: 1}
`,
  );
  local = await startLocalRun(join(dir, 'service.yaml'), process.env, ['--api-keys-file', join(dir, 'keys.txt')]);
});

after(async () => {
  await local?.interrupt();
  await rm(dir, { recursive: true, force: true });
});

const infer = (headers: Record<string, string>) =>
  send(`${local!.routerUrl}/v2/models/linear/infer`, { body: inferBody, headers: { 'content-type': 'application/json', ...headers } });

test('the router requires a key from the file; health stays open', async () => {
  const none = await infer({});
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="kubeinfer"');
  assert.equal((await infer({ authorization: 'Bearer wrong' })).status, 401);
  const ok = await infer({ authorization: `Bearer ${KEY}`, 'x-request-id': 'local-1' });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body.toString()).outputs[0].data, [3]);
  assert.equal((await infer({ 'x-api-key': OTHER_KEY })).status, 200);
  assert.equal((await send(`${local!.routerUrl}/v2/health/ready`)).status, 200);
});

test('pinning the weight-0 version needs a key with the scope pin; pinning v1 does not', async () => {
  const pin = (key: string, version: string) =>
    send(`${local!.routerUrl}/v2/models/linear/versions/${version}/infer`, {
      body: inferBody,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'x-request-id': `local-pin-${version}-${key === PIN_KEY}`,
      },
    });
  const denied = await pin(KEY, 'v2');
  assert.equal(denied.status, 403);
  assert.match(JSON.parse(denied.body.toString()).error, /may not pin a version with weight 0 \(the key needs the scope pin\)/);
  const allowed = await pin(PIN_KEY, 'v2');
  assert.equal(allowed.status, 200);
  assert.deepEqual(JSON.parse(allowed.body.toString()).outputs[0].data, [10]);
  assert.equal((await pin(KEY, 'v1')).status, 200);
});

test('gRPC needs the same keys: UNAUTHENTICATED without one, served with one, PERMISSION_DENIED for a pin without the scope', async () => {
  const client = connectGrpc(local!.grpcAddress);
  const request = { model_name: 'linear', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }] };
  const code = (metadata: Record<string, string>) =>
    client.call('ModelInfer', request, metadata).then(
      (answer: { model_version: string }) => answer.model_version,
      (error: { code: number }) => error.code,
    );
  try {
    assert.equal(await code({}), 16, 'UNAUTHENTICATED');
    assert.equal(await code({ 'x-api-key': KEY }), 'v1');
    assert.equal(await code({ 'x-api-key': KEY, 'x-kubeinfer-version': 'v2' }), 7, 'PERMISSION_DENIED');
    assert.equal(await code({ authorization: `Bearer ${PIN_KEY}`, 'x-kubeinfer-version': 'v2' }), 'v2');
  } finally {
    client.close();
  }
});

test('an audit line per request, naming the key by id', async () => {
  const line = await eventually(
    async () => auditLines(local!.output).find((entry) => entry.request_id === 'local-1'),
    'the audit line of local-1',
    10_000,
  );
  assert.equal(line.caller, `apikey:sha256:${(await import('node:crypto')).createHash('sha256').update(KEY).digest('hex').slice(0, 8)}`);
  assert.deepEqual([line.model, line.version, line.pinned, line.status], ['linear', 'v1', false, 200]);
  const pins = auditLines(local!.output).filter((entry) => String(entry.request_id).startsWith('local-pin-v2'));
  assert.deepEqual(pins.map((entry) => [entry.request_id, entry.version, entry.pinned, entry.status]).sort(), [
    ['local-pin-v2-false', 'v2', true, 403],
    ['local-pin-v2-true', 'v2', true, 200],
  ]);
});

test('removing a key from the file takes effect without a restart; no key is ever printed', async () => {
  await writeFile(join(dir, 'keys.txt'), `${OTHER_KEY}\n`);
  await eventually(
    async () => ((await infer({ authorization: `Bearer ${KEY}` })).status === 401 ? true : undefined),
    'the removed key refused',
    10_000,
  );
  assert.equal((await infer({ 'x-api-key': OTHER_KEY })).status, 200);
  const printed = local!.output.join('\n');
  for (const secret of [KEY, OTHER_KEY, PIN_KEY]) assert.ok(!printed.includes(secret), 'a key was printed');
});
