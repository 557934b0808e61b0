// SIGTERM under keep-alive load drops nothing: `serve` reports not-ready at once but keeps
// serving through the shutdown delay, closing each keep-alive connection with its response,
// while the test plays the endpoints controller (it stops sending once readiness fails).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { addModel } from '../../tools/onnx/models.ts';
import { modelFile, spawnServe } from './harness.ts';
import { CLIENTS, endpointRemoval, keepAliveLoad } from './load.ts';

test('SIGTERM under keep-alive load: served through the shutdown delay, 0 failed requests, exit 0', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--shutdown-delay-ms', '3000'], {
    KUBEINFER_MODEL_PATH: modelFile(t, addModel()),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  let removed = false;
  const load = keepAliveLoad(server.url, () => removed);
  try {
    await sleep(300);
    server.child.kill('SIGTERM');
    await endpointRemoval(server.url);
  } finally {
    removed = true;
  }
  const tally = await load;
  assert.equal(await server.exited, 0);
  t.diagnostic(
    `requests: ${tally.ok} ok, failed ${JSON.stringify(Object.fromEntries(tally.failed))}, ${tally.closes} answered with Connection: close`,
  );
  assert.deepEqual(Object.fromEntries(tally.failed), {});
  assert.ok(tally.ok > CLIENTS, `${tally.ok} requests served`);
  assert.ok(tally.closes > 0, 'responses during the drain close their keep-alive connections');
  const stages = server.lines.map((line) => String(line.msg)).filter((msg) => /draining|no longer accepting|stopped/.test(msg));
  assert.deepEqual(stages, [
    'draining: not ready, still serving for the shutdown delay',
    'no longer accepting; finishing in-flight requests',
    'stopped',
  ]);
});
