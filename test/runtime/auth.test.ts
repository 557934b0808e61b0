// `kubeinfer serve --api-keys-file`: a model server called directly (no router in front)
// requires a key on every route but health, over real HTTP and gRPC; /metrics needs a key
// with the scope `metrics`, the one a Prometheus scrape job is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { SECRET_VALUES } from '../secret-values.ts';
import { postJson, send, startTestServer } from './harness.ts';

const { serveKey: KEY, serveMetricsKey: METRICS_KEY } = SECRET_VALUES;
const body = { inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] };

test('serve with API keys: 401 without a key, 200 with one, health open, metrics for a metrics key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-serve-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keys'), `# one key\n${KEY}\n# Prometheus\n${METRICS_KEY} metrics\n`);
  const server = await startTestServer(t, addModel({ scale: 2, offset: 1, features: 1 }), {
    'api-keys-file': join(dir, 'keys'),
    'grpc-port': String(await freePort()),
  });

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
  assert.equal((await send(server.url, 'GET', '/metrics')).status, 401);
  const noScope = await send(server.url, 'GET', '/metrics', undefined, { 'x-api-key': KEY });
  assert.equal(noScope.status, 403);
  assert.match(noScope.json.error, /may not get \/metrics \(the key needs the scope metrics\)/);
  assert.equal((await send(server.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${METRICS_KEY}` })).status, 200);
  assert.ok(!JSON.stringify(server.logs).includes(KEY), 'the key was logged');
});

test('serve gRPC with API keys: UNAUTHENTICATED without a key (with a message), served with one, health open', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-serve-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keys'), `${KEY}\n`);
  const server = await startTestServer(t, addModel({ scale: 2, offset: 1, features: 1 }), {
    'api-keys-file': join(dir, 'keys'),
    'grpc-port': String(await freePort()),
  });
  const client = connectGrpc(server.grpcAddress);
  t.after(() => client.close());
  const request = { model_name: 'm', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }] };
  const refusal = (metadata: Record<string, string>) =>
    client.call('ModelInfer', request, metadata).then(
      () => assert.fail('the call succeeded'),
      (error: ServiceError) => error,
    );
  const none = await refusal({});
  assert.equal(none.code, status.UNAUTHENTICATED);
  assert.equal(none.details, 'missing credential: send Authorization: Bearer <key> or x-api-key: <key>');
  assert.equal((await refusal({ authorization: 'Bearer wrong' })).details, 'invalid API key');
  assert.deepEqual((await client.call('ModelInfer', request, { authorization: `Bearer ${KEY}` })).outputs[0].contents.fp32_contents, [3]);
  assert.equal((await client.call('ModelMetadata', { name: 'm' }, { 'x-api-key': KEY })).name, 'm');
  const stream = client.stream();
  const streamError = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
  stream.write(request);
  stream.end();
  assert.equal((await streamError).code, status.UNAUTHENTICATED);
  assert.equal((await client.call('ServerReady', {})).ready, true);
  assert.equal(await client.health(), 'SERVING');
});
