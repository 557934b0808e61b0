// Changes under load: new weights from the watched file with zero failed requests, and a
// backend killed mid-load giving clean errors, then recovering when it comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatRouterConfig, type RouterConfig } from '../../contracts/index.ts';
import { startRouter, watchConfigFile } from '../../runtime/router/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { countByVersion, modelLike, send, sendMany, startBackend } from './support.ts';
import type { Answer, BackendBehaviour } from './support.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });

/** Answers like a model after a short delay, so requests are in flight when things change. */
const slowModel: BackendBehaviour = (req, received, res, version) => void setTimeout(() => modelLike(req, received, res, version), 5);

/** Sends requests with `concurrency` workers until `stop()`; returns every answer in order of completion. */
function keepSending(url: string, concurrency: number): { stop(): Promise<(Answer | Error)[]> } {
  let running = true;
  const answers: (Answer | Error)[] = [];
  const worker = async () => {
    while (running) answers.push(await send(url, { body }).catch((error: Error) => error));
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    async stop() {
      running = false;
      await workers;
      return answers;
    },
  };
}

/** Waits (up to 10 s) until `condition` holds. */
const waitFor = (condition: () => boolean | Promise<boolean>, what: string) =>
  eventually(async () => ((await condition()) ? true : undefined), what, 10_000);

test('weights edited in the watched file apply live with zero failed requests', async (t) => {
  const backends = [await startBackend('v1', slowModel), await startBackend('v2', slowModel), await startBackend('v3', slowModel)];
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-router-'));
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  const path = join(dir, 'router.json');
  const write = async (config: RouterConfig) => {
    await writeFile(`${path}.tmp`, formatRouterConfig(config));
    await rename(`${path}.tmp`, path);
  };
  const [v1, v2, v3] = backends.map((b) => ({ name: b.version, url: b.url }));
  await write({
    model: 'm',
    versions: [
      { ...v1!, weight: 90 },
      { ...v2!, weight: 10 },
    ],
    mirror: null,
  });
  const watch = await watchConfigFile(path, router);
  t.after(async () => {
    await watch.stop();
    await router.close(0);
    for (const backend of backends) await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  const load = keepSending(`${router.url}/v2/models/m/infer`, 8);
  await sleep(300);
  // v1 leaves the configuration while requests to it are in flight.
  await write({
    model: 'm',
    versions: [
      { ...v2!, weight: 30 },
      { ...v3!, weight: 70 },
    ],
    mirror: null,
  });
  await waitFor(() => router.config()?.versions[0]?.name === 'v2', 'the new configuration');
  await sleep(300);
  const answers = await load.stop();
  const failed = answers.filter((a) => a instanceof Error || a.status !== 200);
  assert.equal(failed.length, 0, `failed: ${JSON.stringify(failed.slice(0, 3))}`);
  assert.ok(countByVersion(answers).v3! > 0 && backends[0]!.requests.length > 0);

  const after = countByVersion(await sendMany(1000, 8, () => [`${router.url}/v2/models/m/infer`, { body }]));
  assert.equal(after.v1, undefined);
  assert.ok(Math.abs(after.v2! / 1000 - 0.3) <= 0.01 && Math.abs(after.v3! / 1000 - 0.7) <= 0.01, JSON.stringify(after));
});

test('an invalid edit is refused and the last good configuration keeps serving', async (t) => {
  const backend = await startBackend('v1');
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-router-'));
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  const path = join(dir, 'router.json');
  await writeFile(path, formatRouterConfig({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend.url }], mirror: null }));
  const watch = await watchConfigFile(path, router, 50);
  t.after(async () => {
    await watch.stop();
    await router.close(0);
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  await writeFile(path, '{"model": "m", "versions": [{"name": "v1", "weight": 50, "url": "http://127.0.0.1:1"}]}');
  await waitFor(
    async () =>
      (await send(`${router.url}/metrics`)).body.toString().includes('kubeinfer_router_config_updates_total{result="rejected"} 1'),
    'the rejection',
  );
  assert.equal(router.config()?.versions[0]?.weight, 100);
  assert.equal((await send(`${router.url}/v2/models/m/infer`, { body })).status, 200);
});

test('a backend killed mid-load gives clean 502/503 errors naming it, and recovers when it returns', async (t) => {
  const v1 = await startBackend('v1', slowModel);
  let v2 = await startBackend('v2', slowModel);
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await router.close(0);
    await v1.close();
    await v2.close();
  });
  router.apply({
    model: 'm',
    versions: [
      { name: 'v1', weight: 50, url: v1.url },
      { name: 'v2', weight: 50, url: v2.url },
    ],
    mirror: null,
  });

  const load = keepSending(`${router.url}/v2/models/m/infer`, 8);
  await sleep(200);
  await v2.close(); // drops its connections, requests in flight included
  await sleep(300);
  v2 = await startBackend('v2', slowModel, v2.port);
  await waitFor(() => v2.requests.length > 20, 'traffic to the restarted v2');
  const answers = await load.stop();

  assert.ok(
    answers.every((a) => !(a instanceof Error)),
    'the router dropped a client connection',
  );
  const failures = (answers as Answer[]).filter((a) => a.status !== 200);
  assert.ok(failures.length > 0, 'no request saw v2 down');
  for (const failure of failures) {
    assert.ok([502, 503].includes(failure.status), `status ${failure.status}`);
    assert.equal(failure.headers['x-kubeinfer-version'], 'v2');
    assert.match(
      JSON.parse(failure.body.toString()).error,
      /^version "v2" of model "m" \(http:\/\/127\.0\.0\.1:\d+\) (is unavailable|failed before answering)/,
    );
  }
  const v1Answers = (answers as Answer[]).filter((a) => a.headers['x-kubeinfer-version'] === 'v1');
  assert.ok(
    v1Answers.every((a) => a.status === 200),
    'v1 was affected by v2 going down',
  );
  const recovered = countByVersion(await sendMany(100, 4, () => [`${router.url}/v2/models/m/infer`, { body }]));
  assert.deepEqual(recovered, { v1: 50, v2: 50 });
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.match(metrics, /kubeinfer_router_backend_errors_total\{model="m",version="v2",reason="(unavailable|reset)"\} [1-9]/);
});
