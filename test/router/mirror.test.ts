// Shadow traffic: copies are counted, reach the mirror unchanged, and never show to clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRouter } from '../../runtime/router/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import type { Router } from '../../runtime/router/index.ts';
import { countByVersion, metricValue, send, sendMany, startBackend } from './support.ts';
import type { BackendBehaviour } from './support.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [7] }] });

async function setup(t: { after: (fn: () => Promise<void>) => void }, mirrorBehaviour?: BackendBehaviour, mirrorMaxInFlight?: number) {
  const live = [await startBackend('v1'), await startBackend('v2')];
  const shadow = await startBackend('v3', mirrorBehaviour);
  // Left out, not `undefined`: the router's defaults must apply when the test names no limit.
  const router = await startRouter({ host: '127.0.0.1', port: 0, ...(mirrorMaxInFlight === undefined ? {} : { mirrorMaxInFlight }) });
  t.after(async () => {
    await router.close(0);
    for (const backend of [...live, shadow]) await backend.close();
  });
  const versions = [...live, shadow].map((b, i) => ({ name: b.version, weight: [90, 10, 0][i]!, url: b.url }));
  router.apply({ model: 'm', versions, mirror: { version: 'v3', percent: 20 } });
  return { live, shadow, router };
}

async function metrics(router: Router): Promise<string> {
  return (await send(`${router.url}/metrics`)).body.toString();
}

/** Waits (up to 5 s) until `condition` holds. */
const waitFor = (condition: () => Promise<boolean>, what: string) =>
  eventually(async () => ((await condition()) ? true : undefined), what, 5_000);

const infer = (router: Router) => (): Parameters<typeof send> => [
  `${router.url}/v2/models/m/infer`,
  { body, headers: { 'content-type': 'application/json' } },
];

test('20% of weighted inference requests are copied to the mirror and counted', async (t) => {
  const { shadow, router } = await setup(t);
  const answers = await sendMany(100, 4, infer(router));
  assert.deepEqual(countByVersion(answers), { v1: 90, v2: 10 });
  await waitFor(
    async () => metricValue(await metrics(router), 'kubeinfer_router_mirror_requests_total', { version: 'v3', code: '200' }) === 20,
    '20 mirrored copies',
  );
  assert.equal(shadow.requests.length, 20);
  for (const copy of shadow.requests) {
    assert.equal(copy.body.toString(), body);
    assert.equal(copy.headers['x-kubeinfer-mirror'], 'true');
    assert.equal(copy.url, '/v2/models/m/infer');
  }
  // Pinned requests and metadata reads are not mirrored.
  await send(`${router.url}/v2/models/m/versions/v1/infer`, { body });
  await sendMany(10, 2, () => [`${router.url}/v2/models/m`]);
  await sleep(100);
  assert.equal(shadow.requests.length, 20);
});

test('a mirror that never answers does not hold back clients; extra copies are skipped and counted', async (t) => {
  const hang: BackendBehaviour = () => {}; // accepts the request and never answers
  const { shadow, router } = await setup(t, hang, 5);
  const answers = await sendMany(100, 4, infer(router));
  assert.deepEqual(countByVersion(answers), { v1: 90, v2: 10 });
  for (const answer of answers) assert.ok(!(answer instanceof Error) && answer.headers['x-kubeinfer-mirror'] === undefined);
  const text = await metrics(router);
  assert.equal(metricValue(text, 'kubeinfer_router_mirror_errors_total', { version: 'v3', reason: 'overloaded' }), 15);
  await waitFor(async () => shadow.requests.length === 5, '5 copies at the shadow');
  await shadow.close(); // cuts the 5 hanging copies
  await waitFor(
    async () => metricValue(await metrics(router), 'kubeinfer_router_mirror_errors_total', { version: 'v3', reason: 'reset' }) === 5,
    '5 mirror resets counted',
  );
});

test('a failing mirror is counted, never surfaced', async (t) => {
  const crash: BackendBehaviour = (req) => req.socket.destroy();
  const { router } = await setup(t, crash);
  const answers = await sendMany(50, 4, infer(router));
  assert.ok(answers.every((a) => !(a instanceof Error) && a.status === 200));
  await waitFor(
    async () => metricValue(await metrics(router), 'kubeinfer_router_mirror_errors_total', { version: 'v3', reason: 'reset' }) === 10,
    '10 mirror resets counted',
  );
  const text = await metrics(router);
  assert.equal(metricValue(text, 'kubeinfer_router_backend_errors_total', {}), 0);
  assert.equal(metricValue(text, 'kubeinfer_router_requests_total', { code: '200' }), 50);
});
