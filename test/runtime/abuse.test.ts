// A data plane that holds under abuse: big JSON is decoded where it cannot stall health
// checks, JSON past its own limit is refused before it is read, and request bodies in
// flight are bounded in bytes (503 + Retry-After beyond the budget, memory stays bounded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { addModel } from '../../tools/onnx/models.ts';
import { modelFile, send, spawnServe, startTestServer } from './harness.ts';
import { binaryBurst, peakRss, wideRequest } from './load.ts';

const INFER = '/v2/models/m/infer';
const MiB = 1024 * 1024;

/** A V2 JSON request of about `bytes` bytes for addModel's [batch, 4] input. */
function bigJson(bytes: number): Buffer {
  const rows = Math.floor(bytes / 40);
  return Buffer.from(
    JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 4], data: Array(rows * 4).fill(0.123456) }] }),
  );
}

test('a JSON body over --max-json-bytes gets 413 before it is read, pointing at the binary extension', async (t) => {
  const server = await startTestServer(t, addModel(), { 'max-json-bytes': String(MiB) });
  const reply = await send(server.url, 'POST', INFER, bigJson(2 * MiB), { 'Content-Type': 'application/json' });
  assert.equal(reply.status, 413);
  assert.match(
    reply.json.error,
    /over the limit of 1048576 bytes \(--max-json-bytes \/ KUBEINFER_MAX_JSON_BYTES; send large tensors with the binary tensor data extension/,
  );
  const header = await send(server.url, 'POST', INFER, 'x', { 'Inference-Header-Content-Length': 2 * MiB });
  assert.equal(header.status, 413);
  assert.match(header.json.error, /the JSON header \(2097152 bytes\) is over the limit of 1048576 bytes/);
});

test('health checks are answered while a large JSON request is being decoded', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm'], {
    KUBEINFER_MODEL_PATH: modelFile(t, addModel()),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  // Malformed at its very end, so the answer comes the moment the decoder has read all of it.
  const json = bigJson(15 * MiB);
  const body = json.subarray(0, json.length - 1);
  let answered = false;
  const big = new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}${INFER}`, { method: 'POST', headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.once('end', () => {
        answered = true;
        resolve(res.statusCode!);
      });
    });
    req.once('error', reject);
    req.once('finish', () => void probeUntil(() => answered));
    req.end(body);
  });
  const live: number[] = [];
  const probeUntil = async (done: () => boolean) => {
    while (!done()) live.push((await send(server.url, 'GET', '/v2/health/live')).status);
  };
  assert.equal(await big, 400);
  t.diagnostic(`${live.length} liveness checks answered while the 15 MiB body was decoded`);
  // Decoded on the main thread, at most the first probe (sent before the last bytes arrived) gets through.
  assert.ok(live.length >= 3, `${live.length} liveness checks answered during the decode`);
  assert.ok(live.every((status) => status === 200));
});

/** Sends one wideRequest and checks liveness back to back until its answer starts; the statuses of those checks. */
async function livenessWhileAnswering(
  url: string,
  rows: number,
  binaryOutput: boolean,
): Promise<{ status: number; bytes: number; live: number[] }> {
  const { body, headers } = wideRequest(rows, binaryOutput);
  let answered = false;
  const live: number[] = [];
  const probeUntilAnswered = async () => {
    while (!answered) live.push((await send(url, 'GET', '/v2/health/live')).status);
  };
  return new Promise((resolve, reject) => {
    const req = request(`${url}${INFER}`, { method: 'POST', headers }, (res) => {
      let bytes = 0;
      answered = true;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.once('end', () => resolve({ status: res.statusCode!, bytes, live }));
    });
    req.once('error', reject);
    req.once('finish', () => void probeUntilAnswered());
    req.end(body);
  });
}

test('health checks are answered while a large JSON answer is being written', async (t) => {
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm'], {
    KUBEINFER_MODEL_PATH: modelFile(t, addModel({ features: 1024 })),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  // Binary in (nothing to parse), 2048 x 1024 numbers out: as binary data (the baseline: the
  // same inference, nothing to write as text), then as JSON text, where writing is the work.
  const binary = await livenessWhileAnswering(server.url, 2048, true);
  const json = await livenessWhileAnswering(server.url, 2048, false);
  assert.deepEqual([binary.status, json.status], [200, 200]);
  t.diagnostic(
    `liveness checks answered: ${binary.live.length} for the binary answer, ${json.live.length} for the ${(json.bytes / MiB).toFixed(0)} MiB JSON answer`,
  );
  // Written on the main thread, the JSON answer lets no more checks through than the binary one.
  assert.ok(json.live.length >= 4 * binary.live.length + 20, `${json.live.length} vs ${binary.live.length} liveness checks`);
  assert.ok([...binary.live, ...json.live].every((status) => status === 200));
});

test('bodies in flight are bounded in bytes: beyond the budget 503 + Retry-After, and peak memory stays bounded', async (t) => {
  const budget = 16 * MiB;
  const server = await spawnServe(t, ['--port', '0', '--host', '127.0.0.1', '--name', 'm', '--max-body-bytes-in-flight', String(budget)], {
    KUBEINFER_MODEL_PATH: modelFile(t, addModel({ features: 1024 })),
  });
  await server.waitForLog((line) => line.msg === 'model ready');
  const listening = server.lines.find((line) => typeof line.bodyBudgetBytes === 'number');
  assert.equal(listening?.bodyBudgetBytes, budget);
  const before = peakRss(server.child.pid!);
  const statuses = await binaryBurst(server.url, 300);
  const growth = peakRss(server.child.pid!) - before;
  const shed = statuses.filter((reply) => reply.status === 503);
  t.diagnostic(
    `300 x 4 MiB: ${statuses.length - shed.length} served, ${shed.length} shed; peak RSS grew ${(growth / MiB).toFixed(0)} MiB with a ${budget / MiB} MiB budget`,
  );
  assert.ok(shed.length > 0 && shed.length < 300, `${shed.length} shed`);
  assert.ok(shed.every((reply) => reply.retryAfter === '1'));
  assert.ok(statuses.every((reply) => reply.status === 200 || reply.status === 503));
  // Unbounded, the 1.2 GiB of bodies (and their decoded copies) were all held at once.
  assert.ok(growth < 200 * MiB, `peak RSS grew ${(growth / MiB).toFixed(0)} MiB`);
});
