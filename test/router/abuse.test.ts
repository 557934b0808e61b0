// The router under abuse: a shadow that never reads cannot grow the router's memory past
// its mirror budget, is cut after the mirror's own timeout (counted), and never stops
// mirroring for good; the primary answers every request meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRouterConfig } from '../../contracts/index.ts';
import { startRouter } from '../../runtime/router/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { peakRss } from '../runtime/load.ts';
import { startRouterProcess } from './process.ts';
import { metricValue, send, sendMany, startBackend } from './support.ts';

const MiB = 1024 * 1024;

/** Listens on loopback; resolves with the URL and a stop function. */
async function listen(
  server: ReturnType<typeof createTcpServer> | ReturnType<typeof createHttpServer>,
  sockets: Set<Socket>,
): Promise<{ url: string; stop: () => Promise<void> }> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a shadow that never reads: router memory stays within the mirror budget, copies time out and are counted, mirroring goes on', async (t) => {
  // The primary reads and discards bodies; the shadow accepts connections and never reads a byte.
  const primary = await listen(
    createHttpServer((req, res) => {
      req.resume();
      req.once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    }),
    new Set(),
  );
  const shadow = await listen(
    createTcpServer((socket) => socket.pause()),
    new Set(),
  );
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-mirror-'));
  const path = join(dir, 'router.json');
  await writeFile(
    path,
    formatRouterConfig({
      model: 'm',
      versions: [
        { name: 'v1', weight: 100, url: primary.url },
        { name: 'v2', weight: 0, url: shadow.url },
      ],
      mirror: { version: 'v2', percent: 100 },
    }),
  );
  const budget = 16 * MiB;
  const router = await startRouterProcess([
    '--config-file',
    path,
    '--mirror-max-buffered-bytes',
    String(budget),
    '--mirror-timeout-ms',
    '1000',
  ]);
  t.after(async () => {
    await router.stop();
    await primary.stop();
    await shadow.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const body = Buffer.alloc(8 * MiB, 7);
  const before = peakRss(router.child.pid!);
  const answers = await sendMany(48, 8, () => [
    `${router.url}/v2/models/m/infer`,
    { body, headers: { 'content-type': 'application/octet-stream' } },
  ]);
  const growth = peakRss(router.child.pid!) - before;
  assert.ok(
    answers.every((answer) => !(answer instanceof Error) && answer.status === 200 && answer.headers['x-kubeinfer-version'] === 'v1'),
  );
  const errors = (reason: string) =>
    send(`${router.url}/metrics`).then((m) =>
      metricValue(m.body.toString(), 'kubeinfer_router_mirror_errors_total', { version: 'v2', reason }),
    );
  await eventually(async () => ((await errors('timeout')) >= 1 ? true : undefined), 'a hung copy timed out', 10_000);
  const skipped = await errors('over_budget');
  t.diagnostic(
    `48 x 8 MiB: router peak RSS grew ${(growth / MiB).toFixed(0)} MiB (mirror budget ${budget / MiB} MiB); ${skipped} copies skipped over budget, ${await errors('timeout')} timed out`,
  );
  assert.ok(skipped > 0, 'copies beyond the byte budget are skipped and counted');
  // Unbounded, every copy (48 x 8 MiB) was held for the backend timeout.
  assert.ok(growth < 160 * MiB, `router peak RSS grew ${(growth / MiB).toFixed(0)} MiB`);
  // Slots and bytes come back once copies time out: a later request is copied (and times out) again.
  const timedOut = await errors('timeout');
  await eventually(
    async () => {
      await send(`${router.url}/v2/models/m/infer`, { body: '{}' });
      return (await errors('timeout')) > timedOut ? true : undefined;
    },
    'mirroring resumed',
    15_000,
  );
});

test('a backend that never finishes is cut at --request-deadline-ms, even while bytes keep flowing', async (t) => {
  const silent = await startBackend('v1', () => {}); // reads the request, never answers
  const trickle = await startBackend('v2', (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 100); // never silent, never done
    res.once('close', () => clearInterval(timer));
  });
  const router = await startRouter({ host: '127.0.0.1', port: 0, backendTimeoutMs: 60_000, requestDeadlineMs: 1000 });
  t.after(async () => {
    await router.close(0);
    await silent.close();
    await trickle.close();
  });
  router.apply({
    model: 'm',
    versions: [
      { name: 'v1', weight: 100, url: silent.url },
      { name: 'v2', weight: 0, url: trickle.url },
    ],
    mirror: null,
  });
  const unanswered = await send(`${router.url}/v2/models/m/infer`, { body: '{}' });
  assert.equal(unanswered.status, 504);
  assert.match(JSON.parse(unanswered.body.toString()).error, /version "v1" of model "m" .* did not answer: no response within 1000 ms/);
  // Mid-answer the status is gone already: the connection is cut, and the cut is counted.
  await assert.rejects(send(`${router.url}/v2/models/m/versions/v2/infer`, { body: '{}' }));
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_backend_errors_total', { reason: 'timeout' }), 2);
});

test('a client whose body stalls gets 408 from the request timeout; the waiting version is not blamed (no 504, no backend error)', async (t) => {
  const backend = await startBackend('v1');
  const router = await startRouter({ host: '127.0.0.1', port: 0, backendTimeoutMs: 200, requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
  t.after(async () => {
    await router.close(0);
    await backend.close();
  });
  router.apply({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend.url }], mirror: null });
  const status = await new Promise<string>((resolve) => {
    const req = request(`${router.url}/v2/models/m/infer`, { method: 'POST', headers: { 'content-length': 100 } }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.write('{"inputs":'); // and nothing more
  });
  assert.equal(status, '408');
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_backend_errors_total', { reason: 'timeout' }), 0);
});

test("the router drops an idle connection to a version before the version's keep-alive timeout would (no reset race)", async (t) => {
  const version = createHttpServer({ keepAliveTimeout: 3000 }, (req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  // Which side closed: the router's FIN arrives as 'end'; the version's own timeout destroys without one.
  const closedBy = new Promise<string>((resolve) =>
    version.once('connection', (socket: Socket) => {
      let ended = false;
      socket.once('end', () => (ended = true));
      socket.once('close', () => resolve(ended ? 'router' : 'version'));
    }),
  );
  const backend = await listen(version, new Set());
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await router.close(0);
    await backend.stop();
  });
  router.apply({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend.url }], mirror: null });
  assert.equal((await send(`${router.url}/v2/models/m/infer`, { body: '{}' })).status, 200);
  assert.equal(await closedBy, 'router');
});

test('a version that answers before the whole body arrived: the router drops the rest of the body and the connection stays usable', async (t) => {
  // Like `serve` refusing an oversized body: answer 413 at once, read nothing, close; small bodies get 200.
  const version = createHttpServer((req, res) => {
    if (Number(req.headers['content-length']) > MiB) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"too large"}');
      return;
    }
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  const backend = await listen(version, new Set());
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await router.close(0);
    await backend.stop();
  });
  router.apply({ model: 'm', versions: [{ name: 'v1', weight: 100, url: backend.url }], mirror: null });
  const { connect } = await import('node:net');
  const socket = connect(Number(new URL(router.url).port), '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  const answers = (count: number) =>
    eventually(async () => ((received.match(/HTTP\/1\.1 \d{3} /g)?.length ?? 0) >= count ? true : undefined), `${count} answer(s)`, 10_000);
  const size = 4 * MiB;
  socket.write(`POST /v2/models/m/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
  socket.write(Buffer.alloc(64 * 1024, 0x20));
  await answers(1); // the 413, before the client has sent the rest
  assert.match(received, /^HTTP\/1\.1 413 /);
  socket.write(Buffer.alloc(size - 64 * 1024, 0x20));
  // The same connection then carries the next request; a half-read connection would sit until
  // the router's request timeout (60 s) cut it under this client.
  socket.write('POST /v2/models/m/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
  await answers(2);
  assert.match(
    received.slice(received.lastIndexOf('HTTP/1.1 ')),
    /^HTTP\/1\.1 200 /,
    'the second request is answered on the same connection',
  );
});
