// `kubeinfer serve --api-keys-file`: a model server called directly (no router in
// front) requires a key on every route but health and metrics, over real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../../tools/onnx/models.ts';
import { postJson, send, startTestServer } from './harness.ts';

const KEY = 'serve-key-d41d8c';

test('serve with API keys: 401 without a key, 200 with one, health and metrics open', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-serve-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keys'), `# one key\n${KEY}\n`);
  const server = await startTestServer(t, addModel({ scale: 2, offset: 1, features: 1 }), { 'api-keys-file': join(dir, 'keys') });
  const body = { inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] };

  const refused = await postJson(server.url, '/v2/models/m/infer', body);
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['www-authenticate'], 'Bearer realm="kubeinfer"');
  assert.equal((await send(server.url, 'GET', '/v2/models/m', undefined, { 'x-api-key': 'wrong' })).status, 401);
  const answered = await send(server.url, 'POST', '/v2/models/m/infer', JSON.stringify(body), {
    'content-type': 'application/json',
    authorization: `Bearer ${KEY}`,
  });
  assert.equal(answered.status, 200);
  assert.deepEqual(answered.json.outputs[0].data, [3]);
  assert.equal((await send(server.url, 'GET', '/v2/models/m', undefined, { 'x-api-key': KEY })).status, 200);
  assert.equal((await send(server.url, 'GET', '/v2/health/ready')).status, 200);
  assert.equal((await send(server.url, 'GET', '/metrics')).status, 200);
  assert.ok(!JSON.stringify(server.logs).includes(KEY), 'the key was logged');
});
