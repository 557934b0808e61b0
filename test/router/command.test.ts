// `kubeinfer route` as users and the operator run it: a process with flags and JSON logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatRouterConfig } from '../../contracts/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { CLI, startRouterProcess } from './process.ts';
import { countByVersion, metricValue, send, sendMany, startBackend } from './support.ts';

const run = promisify(execFile);

test('kubeinfer route --config-file serves the split, exposes metrics and stops cleanly on SIGTERM', async (t) => {
  const backends = [await startBackend('v1'), await startBackend('v2')];
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-route-'));
  const path = join(dir, 'router.json');
  await writeFile(
    path,
    formatRouterConfig({
      model: 'm',
      versions: backends.map((b, i) => ({ name: b.version, weight: [80, 20][i]!, url: b.url })),
      mirror: null,
    }),
  );
  const router = await startRouterProcess(['--config-file', path]);
  t.after(async () => {
    await router.stop();
    for (const backend of backends) await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal((await send(`${router.url}/v2/health/ready`)).status, 200);
  const counts = countByVersion(await sendMany(100, 4, () => [`${router.url}/v2/models/m/infer`, { body: '{}' }]));
  assert.deepEqual(counts, { v1: 80, v2: 20 });
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_requests_total', { version: 'v2', code: '200' }), 20);
  assert.match(metrics, /process_resident_memory_bytes/);
  assert.equal(await router.stop(), 0);
  assert.ok(router.logs.some((line) => line.includes('"msg":"stopping: not ready, then finishing requests in flight"')));
});

test('on SIGTERM the router reports not-ready but keeps serving through the shutdown delay, then exits 0', async (t) => {
  const backend = await startBackend('v1');
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-route-'));
  const path = join(dir, 'router.json');
  await writeFile(path, formatRouterConfig({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend.url }], mirror: null }));
  const router = await startRouterProcess(['--config-file', path, '--shutdown-delay-ms', '3000']);
  t.after(async () => {
    await router.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });
  router.child.kill('SIGTERM');
  await eventually(async () => ((await send(`${router.url}/v2/health/ready`)).status === 503 ? true : undefined), 'not-ready', 10_000);
  assert.equal((await send(`${router.url}/v2/models/m/infer`, { body: '{}' })).status, 200);
  assert.equal(await router.exit(), 0);
});

test('kubeinfer route refuses unusable flags with a clear message', async () => {
  const attempt = (args: string[]) =>
    run(process.execPath, [CLI, 'route', '--port', '0', ...args]).then(
      () => assert.fail('expected a failure'),
      (error: { code: number; stderr: string }) => error,
    );
  const neither = await attempt([]);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /give exactly one of --config-file <path> or --configmap <namespace\/name>/);
  const badConfigMap = await attempt(['--configmap', 'just-a-name']);
  assert.match(badConfigMap.stderr, /--configmap must be <namespace>\/<name>, got "just-a-name"/);
  const badPort = await attempt(['--config-file', '/nonexistent', '--port', 'http']);
  assert.match(badPort.stderr, /--port must be an integer from 0 to 65535, got "http"/);
});
