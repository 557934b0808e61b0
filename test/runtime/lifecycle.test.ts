// `kubeinfer serve` as a process: configuration from flags and KUBEINFER_* variables, JSON
// logs, load shedding, health while saturated, and SIGTERM drain with zero failed requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { addModel, mlpModel } from '../../tools/onnx/models.ts';
import { CLI, bytesOf, modelFile, postBinary, send, spawnServe, startTestServer, type Reply } from './harness.ts';

// A model slow enough (tens of ms per request on one thread) to keep a queue standing.
const SLOW_LAYERS = [512, 2048, 2048, 512];
const SLOW_ROWS = 32;
const slowInput = bytesOf(new Float32Array(SLOW_ROWS * 512).fill(0.5));
const slowHeader = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: [SLOW_ROWS, 512], parameters: { binary_data_size: slowInput.length } }],
  parameters: { binary_data_output: true },
};
const slowRequest = (url: string) => postBinary(url, '/v2/models/m/infer', slowHeader, [slowInput]);

test('settings come from KUBEINFER_* variables, flags win, and logs are JSON lines', async (t) => {
  const path = modelFile(t, addModel({ scale: 3, offset: 0 }));
  const server = await spawnServe(t, ['--model-version', 'from-flag'], {
    KUBEINFER_MODEL_PATH: path,
    KUBEINFER_MODEL_NAME: 'env-model',
    KUBEINFER_MODEL_VERSION: 'from-env',
    KUBEINFER_PORT: '0',
    KUBEINFER_HOST: '127.0.0.1',
    KUBEINFER_MAX_BATCH_SIZE: '4',
    KUBEINFER_WORKERS: '2',
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  const listening = server.lines[0]!;
  assert.equal(listening.level, 'info');
  assert.equal(listening.msg, `listening on http://127.0.0.1:${server.port}`);
  assert.ok(
    server.lines.every((line) => typeof line.time === 'string' && typeof line.msg === 'string'),
    'every stdout line is a JSON log record',
  );
  const meta = (await send(server.url, 'GET', '/v2/models/env-model')).json;
  assert.deepEqual(meta.versions, ['from-flag']);
  const config = (await send(server.url, 'GET', '/v2/models/env-model/config')).json;
  assert.equal(config.max_batch_size, 4);
  assert.equal(config.instance_group[0].count, 2);
});

test('invalid settings exit with status 2 naming the flag and variable', () => {
  const run = spawnSync(process.execPath, [CLI, 'serve', '--name', 'x', '--workers', 'many'], {
    encoding: 'utf8',
    env: { ...process.env, KUBEINFER_EXECUTION_PROVIDER: 'tpu' },
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--model \/ KUBEINFER_MODEL_PATH is required/);
  assert.match(run.stderr, /--workers \/ KUBEINFER_WORKERS must be an integer from 1 to 256, got 'many'/);
  assert.match(run.stderr, /KUBEINFER_EXECUTION_PROVIDER must be cpu or cuda, got 'tpu'/);
});

test('--execution-provider cuda hands the model to the CUDA provider or says clearly why it cannot', async (t) => {
  const binDir = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  const cudaInstalled = existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'));
  const server = await startTestServer(t, addModel(), { 'execution-provider': 'cuda' });
  const ready = await send(server.url, 'GET', '/v2/health/ready');
  if (cudaInstalled && ready.status === 200) {
    assert.equal((await send(server.url, 'GET', '/v2/models/m/config')).json.instance_group[0].kind, 'KIND_GPU');
    return;
  }
  assert.equal(ready.status, 503);
  assert.match(ready.json.reason, /the CUDA execution provider could not be initialised \(.+\); it needs an NVIDIA GPU/);
});

test('past max-queue-size requests get 503 with Retry-After instead of queueing', async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: SLOW_LAYERS }), {
    workers: '1',
    'intra-op-threads': '1',
    'max-queue-size': '2',
  });
  const replies = await Promise.all(Array.from({ length: 10 }, () => slowRequest(server.url)));
  const shed = replies.filter((reply) => reply.status === 503);
  const served = replies.filter((reply) => reply.status === 200);
  assert.equal(shed.length + served.length, 10, replies.map((r) => r.status).join());
  assert.ok(shed.length > 0 && served.length >= 3, `served ${served.length}, shed ${shed.length}`);
  for (const reply of shed) {
    assert.equal(reply.headers['retry-after'], '1');
    assert.match(reply.json.error, /the request queue is full \(2 pending requests\); retry later/);
  }
});

function loop(url: string, replies: Reply[], stop: () => boolean): Promise<void> {
  return (async () => {
    while (!stop()) {
      const reply = await slowRequest(url);
      replies.push(reply);
      if (reply.headers.connection === 'close') return;
    }
  })();
}

test('health and metrics answer while the model is saturated', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--workers', '1', '--intra-op-threads', '1'], {
    KUBEINFER_MODEL_PATH: modelFile(t, mlpModel({ layers: SLOW_LAYERS })),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  let stopped = false;
  const replies: Reply[] = [];
  const clients = Array.from({ length: 12 }, () => loop(server.url, replies, () => stopped));
  const probes: number[] = [];
  let sawQueue = false;
  try {
    while (probes.length < 40) {
      const metrics = (await send(server.url, 'GET', '/metrics')).body.toString();
      if (/kubeinfer_inference_pending_requests\{[^}]*\} ([1-9]\d*)/.test(metrics)) sawQueue = true;
      const started = process.hrtime.bigint();
      const ready = await send(server.url, 'GET', '/v2/health/ready');
      probes.push(Number(process.hrtime.bigint() - started) / 1e6);
      assert.equal(ready.status, 200);
    }
  } finally {
    stopped = true;
    await Promise.all(clients);
  }
  assert.ok(sawQueue, 'requests were queued behind the busy worker while probes ran');
  assert.ok(replies.every((reply) => reply.status === 200));
  probes.sort((a, b) => a - b);
  t.diagnostic(
    `readiness while saturated: p50 ${probes[20]!.toFixed(2)} ms, max ${probes.at(-1)!.toFixed(2)} ms over ${probes.length} probes`,
  );
});

test('SIGTERM: not ready, in-flight requests finish, zero failures, exit 0', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--workers', '1', '--intra-op-threads', '1'], {
    KUBEINFER_MODEL_PATH: modelFile(t, mlpModel({ layers: SLOW_LAYERS })),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  const replies: Reply[] = [];
  const clients = Array.from({ length: 8 }, () => loop(server.url, replies, () => false));
  while (replies.length < 8) await new Promise((resolve) => setTimeout(resolve, 10));
  server.child.kill('SIGTERM');
  await server.waitForLog((line) => String(line.msg).startsWith('draining'));
  const ready = await send(server.url, 'GET', '/v2/health/ready');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.json, { ready: false, reason: 'the server is shutting down' });
  await Promise.all(clients);
  assert.equal(await server.exited, 0);
  assert.ok(replies.length > 8);
  const failed = replies.filter((reply) => reply.status !== 200);
  assert.equal(failed.length, 0, failed.map((reply) => reply.body.toString()).join('\n'));
  assert.ok(server.lines.some((line) => line.msg === 'stopped'));
});
