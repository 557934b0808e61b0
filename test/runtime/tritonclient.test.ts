// Triton's own Python HTTP client works against the server unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { multiIoModel } from '../../tools/onnx/models.ts';
import { startTestServer } from './harness.ts';

const SCRIPT = fileURLToPath(new URL('./tritonclient_check.py', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

test('tritonclient (PyPI tritonclient[http]) drives the server: health, metadata, config, infer, stats', async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, tritonclient.http'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `this test needs Python with tritonclient: run pip install 'tritonclient[http]' (${probe.error?.message ?? probe.stderr.trim()})`,
  );
  const server = await startTestServer(t, multiIoModel(3), { 'max-batch-size': '8', 'max-queue-delay-micros': '1000', workers: '2' });
  const hostPort = new URL(server.url).host;
  // Asynchronously: the server runs in this process and must keep answering.
  const run = await promisify(execFile)(PYTHON, [SCRIPT, hostPort, 'm'], { encoding: 'utf8', timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) =>
      assert.fail(`tritonclient check failed: ${error.message}\n${error.stdout}\n${error.stderr}`),
  );
  assert.equal(run.stdout.trim(), 'ok');
});
