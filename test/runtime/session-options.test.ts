// onnxruntime session options on `kubeinfer serve`: each setting reaches the sessions and
// serves the same answers, bad values are refused before loading, and the optimised-model
// cache is written at first load and used by the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { convNetModel } from '../../tools/onnx/convnet.ts';
import { mlpModel } from '../../tools/onnx/models.ts';
import { postJson, startTestServer, tempFile, type TestServer } from './harness.ts';

const INFER = '/v2/models/m/infer';
const QUICK_STOP = { 'shutdown-delay-ms': '0' };

function cacheDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-optimized-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function answer(server: TestServer, shape: readonly number[]): Promise<number[]> {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: count }, (_, i) => Math.sin(i));
  const reply = await postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'FP32', shape, data }] });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return reply.json.outputs[0].data;
}

function readyLog(server: TestServer): Record<string, unknown> {
  const entry = server.logs.find((log) => log.msg === 'model ready');
  assert.ok(entry, 'the server logged its load');
  return entry;
}

test('every session option serves the same answers as the defaults', async (t) => {
  const model = mlpModel({ layers: [16, 32, 4] });
  const reference = await answer(await startTestServer(t, model, QUICK_STOP), [3, 16]);
  const variants: Record<string, string>[] = [
    { 'graph-optimization-level': 'disabled' },
    { 'graph-optimization-level': 'basic', 'memory-arena': 'false', 'memory-pattern': 'false' },
    { 'execution-mode': 'parallel', 'inter-op-threads': '2', 'intra-op-threads': '2' },
  ];
  for (const flags of variants) {
    const got = await answer(await startTestServer(t, model, { ...QUICK_STOP, ...flags }), [3, 16]);
    for (const [i, value] of got.entries())
      assert.ok(Math.abs(value - reference[i]!) <= 1e-5, `${JSON.stringify(flags)} element ${i}: ${value} vs ${reference[i]}`);
  }
});

test('bad session options are refused with the setting named, before any model loads', () => {
  const resolved = resolveServeConfig(
    { graphOptimizationLevel: 'fastest', executionMode: 'eager', memoryArena: 'yes', interOpThreads: '0' },
    { KUBEINFER_MODEL_PATH: 'model.onnx', KUBEINFER_MODEL_NAME: 'm' },
  );
  assert.ok(!resolved.ok);
  assert.deepEqual(
    resolved.problems.map((problem) => problem.split(' / ')[0]),
    ['--inter-op-threads', '--execution-mode', '--graph-optimization-level', '--memory-arena'],
  );
  assert.match(resolved.problems.find((p) => p.startsWith('--graph'))!, /must be disabled or basic or extended or all, got 'fastest'/);
});

test('the optimised model is cached at first load and loaded from the cache by the next start', async (t) => {
  const dir = cacheDir(t);
  const model = convNetModel({ blocks: 4, channels: 8, size: 8 });
  const flags = { ...QUICK_STOP, 'optimized-model-cache': dir, workers: '2' };
  const first = await startTestServer(t, model, { ...flags, workers: '1' });
  assert.equal(readyLog(first).optimizedSessionsFromCache, 0, 'nothing cached yet: optimised now');
  assert.equal(readyLog(first).sessions, 1);
  const cached = readdirSync(dir);
  assert.equal(cached.length, 1, `one optimised graph, no partial files: ${cached.join(', ')}`);
  assert.match(cached[0]!, /^[0-9a-f]{32}\.onnx$/);
  const expected = await answer(first, [2, 3, 8, 8]);
  await first.drain();

  const second = await startTestServer(t, model, flags);
  assert.deepEqual(
    [readyLog(second).optimizedSessionsFromCache, readyLog(second).sessions],
    [2, 2],
    'both workers loaded the cached graph',
  );
  assert.deepEqual(await answer(second, [2, 3, 8, 8]), expected);
  const otherLevel = await startTestServer(t, model, { ...flags, 'graph-optimization-level': 'basic' });
  assert.ok(Number(readyLog(otherLevel).optimizedSessionsFromCache) < 2, 'another optimisation level is another graph');
  assert.equal(readdirSync(dir).length, 2);
});

test('a cache directory that cannot be created is a warning; the model still loads and serves', async (t) => {
  // A path under a regular file cannot become a directory, whoever runs the test.
  const blocked = join(tempFile(t, 'not-a-directory', 'x'), 'cache');
  const server = await startTestServer(t, mlpModel({ layers: [4, 2] }), { ...QUICK_STOP, 'optimized-model-cache': blocked });
  assert.equal((await answer(server, [1, 4])).length, 2);
  const warning = server.logs.find((log) => log.level === 'warn' && String(log.msg).includes('optimized-model cache'));
  assert.ok(warning, JSON.stringify(server.logs));
  assert.match(String(warning.msg), /is not a writable directory \(ENOTDIR\); optimising at every start/);
});
