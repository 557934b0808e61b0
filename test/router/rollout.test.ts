// A version's pod leaves service under load through the router and drops nothing: two
// `kubeinfer serve` processes behind a Service (a TCP balancer here, as kube-proxy is), the
// router in front, one server SIGTERMed. The router's pooled keep-alive connections to the
// leaving server are closed by its Connection: close answers during the shutdown delay.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatRouterConfig } from '../../contracts/index.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { modelFile, spawnServe } from '../runtime/harness.ts';
import { endpointRemoval, keepAliveLoad, startServiceProxy, type Tally } from '../runtime/load.ts';
import { startRouterProcess, type RouterProcess } from './process.ts';

/** Starts `count` routers for model 'm', each sending to `backend`; removed after the test. */
async function startRouters(t: TestContext, count: number, backend: string, args: readonly string[] = []): Promise<RouterProcess[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-rollout-'));
  const configFile = join(dir, 'router.json');
  await writeFile(configFile, formatRouterConfig({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend }], mirror: null }));
  const routers = await Promise.all(Array.from({ length: count }, () => startRouterProcess(['--config-file', configFile, ...args])));
  t.after(async () => {
    await Promise.all(routers.map((router) => router.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  return routers;
}

/** Runs keep-alive load at `url` while `disrupt` runs, and half a second after; returns the counts. */
async function underLoad(url: string, disrupt: () => Promise<void>): Promise<Tally> {
  let stopped = false;
  const load = keepAliveLoad(url, () => stopped);
  try {
    await sleep(500);
    await disrupt();
    await sleep(500);
  } finally {
    stopped = true;
  }
  return load;
}

test('SIGTERM to one of two model servers behind the router, under keep-alive load: 0 failed requests', async (t) => {
  const path = modelFile(t, addModel());
  const servers = await Promise.all(
    [0, 1].map(() => spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--model', path, '--shutdown-delay-ms', '3000'])),
  );
  await Promise.all(servers.map((server) => server.waitForLog((line) => line.msg === 'model ready')));
  const endpoints = servers.map((server) => `127.0.0.1:${server.port}`);
  const service = await startServiceProxy(endpoints);
  t.after(() => service.stop());
  const [router] = await startRouters(t, 1, service.url);
  const tally = await underLoad(router!.url, async () => {
    servers[0]!.child.kill('SIGTERM');
    await endpointRemoval(servers[0]!.url);
    service.remove(endpoints[0]!);
    assert.equal(await servers[0]!.exited, 0);
  });
  t.diagnostic(`through the router: ${tally.ok} ok, failed ${JSON.stringify(Object.fromEntries(tally.failed))}`);
  assert.deepEqual(Object.fromEntries(tally.failed), {});
  assert.ok(tally.ok > 32);
});

test('SIGTERM to one of two routers behind their Service, under keep-alive load: 0 failed requests', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--model', modelFile(t, addModel())]);
  await server.waitForLog((line) => line.msg === 'model ready');
  const routers = await startRouters(t, 2, server.url, ['--shutdown-delay-ms', '3000']);
  const endpoints = routers.map((router) => new URL(router.url).host);
  const service = await startServiceProxy(endpoints);
  t.after(() => service.stop());
  const tally = await underLoad(service.url, async () => {
    routers[0]!.child.kill('SIGTERM');
    await endpointRemoval(routers[0]!.url);
    service.remove(endpoints[0]!);
    assert.equal(await routers[0]!.exit(), 0);
  });
  t.diagnostic(
    `through the router Service: ${tally.ok} ok, failed ${JSON.stringify(Object.fromEntries(tally.failed))}, ${tally.closes} answered with Connection: close`,
  );
  assert.deepEqual(Object.fromEntries(tally.failed), {});
  assert.ok(tally.closes > 0);
});
