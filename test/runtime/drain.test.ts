// SIGTERM under keep-alive load drops nothing: `serve` reports not-ready at once but keeps
// serving through the shutdown delay, closing each keep-alive connection with its response,
// while the test plays the endpoints controller (it stops sending once readiness fails).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { addModel } from '../../tools/onnx/models.ts';
import { modelFile, send, spawnServe } from './harness.ts';

const CLIENTS = 32;
/** How long endpoint removal takes to reach clients once readiness fails (endpoints controller, kube-proxy). */
export const PROPAGATION_MS = 1000;
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });

export interface Tally {
  ok: number;
  /** Failures by status code or socket error code. */
  readonly failed: Map<string, number>;
  /** Responses that asked the client to close its connection. */
  closes: number;
}

/** One inference request over a shared keep-alive agent; counted in `tally`. */
export function inferOnce(url: string, agent: Agent, tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    const fail = (reason: string) => {
      tally.failed.set(reason, (tally.failed.get(reason) ?? 0) + 1);
      resolve();
    };
    const req = request(`${url}/v2/models/m/infer`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.headers.connection === 'close') tally.closes++;
        if (res.statusCode === 200) tally.ok++;
        else fail(String(res.statusCode));
        resolve();
      });
      res.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    });
    req.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    req.end(body);
  });
}

/** Sends from `CLIENTS` loops until `endpointRemoved()`; resolves with the counts. */
export async function keepAliveLoad(url: string, endpointRemoved: () => boolean): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const tally: Tally = { ok: 0, failed: new Map(), closes: 0 };
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (!endpointRemoved()) await inferOnce(url, agent, tally);
  }));
  agent.destroy();
  return tally;
}

/** The endpoints controller: probes readiness as the kubelet does; resolves once the endpoint is gone from clients. */
export async function endpointRemoval(url: string): Promise<void> {
  const ready = () => send(url, 'GET', '/v2/health/ready').then((reply) => reply.status === 200, () => false);
  while (await ready()) await sleep(100);
  await sleep(PROPAGATION_MS);
}

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
  t.diagnostic(`requests: ${tally.ok} ok, failed ${JSON.stringify(Object.fromEntries(tally.failed))}, ${tally.closes} answered with Connection: close`);
  assert.deepEqual(Object.fromEntries(tally.failed), {});
  assert.ok(tally.ok > CLIENTS, `${tally.ok} requests served`);
  assert.ok(tally.closes > 0, 'responses during the drain close their keep-alive connections');
  const stages = server.lines.map((line) => String(line.msg)).filter((msg) => /draining|no longer accepting|stopped/.test(msg));
  assert.deepEqual(stages, ['draining: not ready, still serving for the shutdown delay', 'no longer accepting; finishing in-flight requests', 'stopped']);
});
