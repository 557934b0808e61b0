// The router over real HTTP in front of real (tiny) backends on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startRouter } from '../../runtime/router/index.ts';
import type { Router } from '../../runtime/router/index.ts';
import { countByVersion, metricValue, send, sendMany, startBackend } from './support.ts';
import type { Answer, TestBackend } from './support.ts';

let router: Router;
const backends: TestBackend[] = [];

before(async () => {
  for (const version of ['v1', 'v2', 'v3']) backends.push(await startBackend(version));
  router = await startRouter({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await router.close(0);
  await Promise.all(backends.map((b) => b.close()));
});

function configure(weights: readonly number[], mirror: { version: string; percent: number } | null = null): void {
  router.apply({ model: 'm', versions: backends.map((b, i) => ({ name: b.version, weight: weights[i]!, url: b.url })), mirror });
}

const inferBody = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });
const infer = (): Parameters<typeof send> => [
  `${router.url}/v2/models/m/infer`,
  { body: inferBody, headers: { 'content-type': 'application/json' } },
];

test('10,000 requests at 90/10 split within 1 percentage point (exactly, by smooth round-robin)', async () => {
  configure([90, 10, 0]);
  const counts = countByVersion(await sendMany(10_000, 16, infer));
  assert.ok(Math.abs(counts.v1! / 10_000 - 0.9) <= 0.01, JSON.stringify(counts));
  assert.ok(Math.abs(counts.v2! / 10_000 - 0.1) <= 0.01, JSON.stringify(counts));
  assert.deepEqual(counts, { v1: 9000, v2: 1000 });
});

test('1,000 requests at 70/20/10 split within 2 percentage points', async () => {
  configure([70, 20, 10]);
  const counts = countByVersion(await sendMany(1000, 8, infer));
  for (const [version, share] of [
    ['v1', 0.7],
    ['v2', 0.2],
    ['v3', 0.1],
  ] as const) {
    assert.ok(Math.abs(counts[version]! / 1000 - share) <= 0.02, JSON.stringify(counts));
  }
});

test('answers carry the serving version; bodies reach the backend unchanged', async () => {
  configure([100, 0, 0]);
  const answer = await send(...infer());
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['x-kubeinfer-version'], 'v1');
  const body = JSON.parse(answer.body.toString());
  assert.equal(body.model_version, 'v1');
  const seen = backends[0]!.requests.at(-1)!;
  assert.equal(seen.body.toString(), inferBody);
  assert.equal(seen.url, '/v2/models/m/infer');
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
});

test('a version is pinned by path or by the x-kubeinfer-version header', async () => {
  configure([100, 0, 0]);
  const byPath = await send(`${router.url}/v2/models/m/versions/v3/infer`, { body: inferBody });
  assert.equal(byPath.headers['x-kubeinfer-version'], 'v3');
  assert.equal(backends[2]!.requests.at(-1)!.url, '/v2/models/m/versions/v3/infer');
  const byHeader = await send(`${router.url}/v2/models/m/infer`, { body: inferBody, headers: { 'x-kubeinfer-version': 'v2' } });
  assert.equal(JSON.parse(byHeader.body.toString()).model_version, 'v2');
  const v1Predict = await send(`${router.url}/v1/models/m:predict`, {
    body: '{"instances":[[1]]}',
    headers: { 'x-kubeinfer-version': 'v3' },
  });
  assert.equal(v1Predict.headers['x-kubeinfer-version'], 'v3');
  const metadata = await send(`${router.url}/v2/models/m/versions/v2`);
  assert.equal(JSON.parse(metadata.body.toString()).method, 'GET');
});

test('unknown versions, models and paths get a clear JSON error from the router', async () => {
  configure([90, 10, 0]);
  const expectError = async (answer: Promise<Answer>, status: number, pattern: RegExp) => {
    const got = await answer;
    assert.equal(got.status, status);
    assert.match(JSON.parse(got.body.toString()).error, pattern);
  };
  await expectError(
    send(`${router.url}/v2/models/m/versions/v9/infer`, { body: inferBody }),
    404,
    /version "v9" of model "m" is not served here \(versions: v1, v2, v3\)/,
  );
  await expectError(
    send(`${router.url}/v2/models/m/infer`, { body: inferBody, headers: { 'x-kubeinfer-version': 'nope' } }),
    404,
    /version "nope"/,
  );
  await expectError(
    send(`${router.url}/v2/models/m/versions/v1/infer`, { body: inferBody, headers: { 'x-kubeinfer-version': 'v2' } }),
    400,
    /pins version "v1" but/,
  );
  await expectError(send(`${router.url}/v2/models/other/infer`, { body: inferBody }), 404, /model "other" is not served here/);
  await expectError(send(`${router.url}/favicon.ico`), 404, /no route for \/favicon.ico/);
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_rejected_requests_total', { code: '404' }), 4);
});

test('binary tensor bodies pass through byte for byte in both directions', async () => {
  configure([0, 100, 0]);
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ name: 'input', shape: [1, 262144], datatype: 'FP32', parameters: { binary_data_size: 1 << 20 } }] }),
  );
  const body = Buffer.concat([header, randomBytes(1 << 20)]);
  const answer = await send(`${router.url}/v2/models/m/infer`, {
    body,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': header.length },
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['inference-header-content-length'], String(header.length));
  assert.ok(backends[1]!.requests.at(-1)!.body.equals(body), 'request body changed on the way in');
  assert.ok(answer.body.equals(body), 'response body changed on the way out');
});

test('the router has its own health endpoints and per-version metrics', async () => {
  configure([90, 10, 0]);
  assert.equal((await send(`${router.url}/v2/health/live`)).status, 200);
  assert.deepEqual(JSON.parse((await send(`${router.url}/v2/health/ready`)).body.toString()), { ready: true });
  await sendMany(20, 2, infer);
  const text = (await send(`${router.url}/metrics`)).body.toString();
  assert.ok(metricValue(text, 'kubeinfer_router_requests_total', { model: 'm', version: 'v2', code: '200' }) > 0);
  assert.ok(metricValue(text, 'kubeinfer_router_request_duration_seconds_count', { model: 'm', version: 'v1' }) > 0);
  assert.equal(metricValue(text, 'kubeinfer_router_version_weight', { version: 'v1' }), 90);
  assert.equal(metricValue(text, 'kubeinfer_router_in_flight_requests', { version: 'v1' }), 0);
});

test('a router without configuration is alive but not ready', async () => {
  const empty = await startRouter({ host: '127.0.0.1', port: 0 });
  try {
    assert.equal((await send(`${empty.url}/v2/health/live`)).status, 200);
    assert.equal((await send(`${empty.url}/v2/health/ready`)).status, 503);
    const answer = await send(`${empty.url}/v2/models/m/infer`, { body: inferBody });
    assert.equal(answer.status, 503);
    assert.match(JSON.parse(answer.body.toString()).error, /no configuration yet/);
  } finally {
    await empty.close(0);
  }
});
