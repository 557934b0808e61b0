// A model that cannot load, in a container: `kubeinfer serve` exits 1 with the reason in
// the termination log, which the kubelet copies into the pod's status for the operator.
// Outside a container (no termination log) it stays up and not-ready instead.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { corruptModel } from '../../tools/onnx/models.ts';
import { modelFile, send, spawnServe } from './harness.ts';

// The timeout bounds a server that wrongly stays up; it is not a measure of speed.
test('in a container, a model that fails to load exits 1 and leaves the reason in the termination log', { timeout: 60_000 }, async (t) => {
  const model = modelFile(t, corruptModel());
  const terminationLog = join(dirname(model), 'termination-log');
  await writeFile(terminationLog, ''); // the kubelet creates it before the container starts
  const server = await spawnServe(t, ['--model', model, '--name', 'm', '--port', '0', '--termination-log', terminationLog]);
  assert.equal(await server.exited, 1);
  assert.match(
    await readFile(terminationLog, 'utf8'),
    /^model 'm' failed to load: cannot load model .*model\.onnx: .*Protobuf parsing failed/,
  );
});

test('without a termination log, the server stays up and says why it is not ready', async (t) => {
  const model = modelFile(t, corruptModel());
  const server = await spawnServe(t, ['--model', model, '--name', 'm', '--port', '0', '--termination-log', join(dirname(model), 'absent')]);
  await server.waitForLog((line) => line.msg === 'model failed to load; the server stays not-ready');
  const ready = await send(server.url, 'GET', '/v2/health/ready');
  assert.equal(ready.status, 503);
  assert.equal(server.child.exitCode, null);
});
