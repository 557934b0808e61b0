// The figures rollouts are decided on, read from GET /router/stats with real runtimes
// serving real ONNX models behind the router: per-version request, 5xx and latency
// counts, and mirrored answers compared with the live ones tensor by tensor.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile, ROUTER_STATS_PATH, type RouterFigures } from '../../rollout/figures.ts';
import { startRouter, type Router } from '../../runtime/router/index.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { startTestServer } from '../runtime/harness.ts';
import { metricValue, send, sendMany } from './support.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
const infer = (router: Router) => (): Parameters<typeof send> => [
  `${router.url}/v2/models/m/infer`,
  { body, headers: { 'content-type': 'application/json' } },
];

/** A router in front of a stable runtime (2x+1) and a mirrored one built from `candidate`. */
async function shadowed(t: TestContext, candidateUrl: string, tolerance?: { absolute: number; relative: number }): Promise<Router> {
  const stable = await startTestServer(t, addModel({ scale: 2, offset: 1 }));
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(() => router.close(0));
  router.apply({
    model: 'm',
    versions: [
      { name: 'v1', weight: 100, url: stable.url },
      { name: 'v2', weight: 0, url: candidateUrl },
    ],
    mirror: { version: 'v2', percent: 100, ...(tolerance ? { tolerance } : {}) },
  });
  return router;
}

async function figures(router: Router): Promise<RouterFigures> {
  const answer = await send(`${router.url}${ROUTER_STATS_PATH}`);
  assert.equal(answer.status, 200);
  return JSON.parse(answer.body.toString()) as RouterFigures;
}

async function compared(router: Router, count: number): Promise<RouterFigures> {
  for (let i = 0; i < 200; i += 1) {
    const read = await figures(router);
    const shadow = read.versions.v2!.shadow;
    if (shadow.matches + shadow.mismatches + shadow.errors >= count) return read;
    await sleep(25);
  }
  assert.fail(`fewer than ${count} mirrored answers compared within 5 s: ${JSON.stringify(await figures(router))}`);
}

test('a candidate with the same model agrees with the stable on every mirrored request', async (t) => {
  const candidate = await startTestServer(t, addModel({ scale: 2, offset: 1 }));
  const router = await shadowed(t, candidate.url);
  const answers = await sendMany(30, 3, infer(router));
  assert.ok(answers.every((a) => !(a instanceof Error) && a.status === 200));
  const read = await compared(router, 30);
  assert.deepEqual(read.versions.v2!.shadow, { matches: 30, mismatches: 0, errors: 0, maxAbsDifference: 0 });
  assert.equal(read.versions.v1!.requests, 30);
  assert.equal(read.versions.v1!.failures, 0);
  assert.equal(
    Object.values(read.versions.v1!.latency).reduce((a, b) => a + b, 0),
    30,
  );
  assert.ok(quantile(read.versions.v1!.latency, 0.99)! > 0);
  assert.equal(read.versions.v2!.requests, 0, 'mirrored copies are not live requests');
});

test('a candidate whose outputs differ beyond the tolerance is counted as mismatching, with the largest difference', async (t) => {
  const candidate = await startTestServer(t, addModel({ scale: 2, offset: 1.5 }));
  const router = await shadowed(t, candidate.url);
  await sendMany(20, 2, infer(router));
  const read = await compared(router, 20);
  assert.equal(read.versions.v2!.shadow.mismatches, 20);
  assert.equal(read.versions.v2!.shadow.maxAbsDifference, 0.5);
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_shadow_comparisons_total', { version: 'v2', result: 'mismatch' }), 20);
  assert.equal(metricValue(metrics, 'kubeinfer_router_shadow_max_abs_difference', { version: 'v2' }), 0.5);
});

test('the same difference within a wider tolerance matches', async (t) => {
  const candidate = await startTestServer(t, addModel({ scale: 2, offset: 1.5 }));
  const router = await shadowed(t, candidate.url, { absolute: 0.6, relative: 0 });
  await sendMany(10, 2, infer(router));
  const read = await compared(router, 10);
  assert.deepEqual(read.versions.v2!.shadow, { matches: 10, mismatches: 0, errors: 0, maxAbsDifference: 0.5 });
});

test('a candidate that cannot answer counts as mirror errors; live traffic to it counts as 5xx failures', async (t) => {
  const gone = await startTestServer(t, addModel());
  await gone.drain(); // its port is now closed: connections are refused
  const router = await shadowed(t, gone.url);
  await sendMany(10, 2, infer(router));
  const read = await compared(router, 10);
  assert.equal(read.versions.v2!.shadow.errors, 10);
  const config = router.config()!;
  router.apply({ ...config, versions: config.versions.map((v) => ({ ...v, weight: 50 })), mirror: null });
  const answers = await sendMany(10, 1, infer(router));
  const after = await figures(router);
  assert.equal(after.versions.v2!.requests, 5);
  assert.equal(after.versions.v2!.failures, 5);
  assert.equal(answers.filter((a) => !(a instanceof Error) && a.status === 503).length, 5);
});
