// Triton's own Python gRPC client (sync, async callbacks, streaming and asyncio) works
// against the server's gRPC service unchanged, for every datatype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { everyTypeModel } from '../../tools/onnx/models.ts';
import { freePort } from '../../tools/cluster/index.ts';
import { startTestServer } from './harness.ts';

const SCRIPT = fileURLToPath(new URL('./tritonclient_grpc_check.py', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

test('tritonclient (PyPI tritonclient[grpc]) drives the gRPC service: health, metadata, config, every datatype, errors, streaming, stats', async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, tritonclient.grpc'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `this test needs Python with tritonclient: run pip install 'tritonclient[grpc]' (${probe.error?.message ?? probe.stderr.trim()})`,
  );
  const server = await startTestServer(t, everyTypeModel(), {
    'grpc-port': String(await freePort()),
    'max-batch-size': '8',
    'max-queue-delay-micros': '1000',
    workers: '2',
    'model-version': 'v7',
  });
  // Asynchronously: the server runs in this process and must keep answering.
  const run = await promisify(execFile)(PYTHON, [SCRIPT, server.grpcAddress, 'm', 'v7'], { encoding: 'utf8', timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) =>
      assert.fail(`tritonclient check failed: ${error.message}\n${error.stdout}\n${error.stderr}`),
  );
  assert.equal(run.stdout.trim(), 'ok');
});
