// `kubeinfer top --once` as a user runs it: against a router in front of a real serve (local
// mode's shape) under load, and against a real apiserver, reaching a router pod through the
// pod proxy. Plus the table itself, exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../tools/cluster/index.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { startRouter } from '../../runtime/router/index.ts';
import { formatTop } from '../../operator/cli/top-table.ts';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, startTestServer } from '../runtime/harness.ts';
import { kubeinfer, loadUntil, tableRows } from './support.ts';

test('top --once against a router under load (half pinned to v1): rates, errors, p99 and weight declared vs served per version', async (t) => {
  const server = await startTestServer(t, addModel(), { 'shutdown-delay-ms': '0' });
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(() => router.close(0));
  // v2 points at a port nobody listens on: every request it gets is a 503.
  const v2 = `http://127.0.0.1:${await freePort()}`;
  router.apply({
    model: 'm',
    versions: [
      { name: 'v1', weight: 70, url: server.url },
      { name: 'v2', weight: 30, url: v2 },
    ],
    mirror: null,
  });
  const top = kubeinfer(['top', '--url', router.url, '--once', '--interval', '1']);
  const sent = await loadUntil(router.url, 'm', top, 'v1');
  const { code, stdout, stderr } = await top;
  assert.equal(code, 0, stderr);
  assert.ok(sent > 20, `load ran (${sent} requests)`);
  const rows = tableRows(stdout);
  assert.deepEqual([...rows.keys()], ['v1', 'v2']);
  const v1Row = rows.get('v1')!;
  const v2Row = rows.get('v2')!;
  assert.equal(v1Row.WEIGHT, '70%');
  assert.equal(v2Row.WEIGHT, '30%');
  assert.ok(Number(v1Row['REQ/S']) > 0, stdout);
  assert.equal(v1Row['ERR/S'], '0.0');
  assert.equal(v1Row['ERR%'], '0.0%');
  assert.match(v1Row.P99!, /^\d+(\.\d+)?(ms|s)$/);
  assert.equal(v2Row['ERR%'], '100.0%', 'every request v2 got failed');
  const served = Number.parseFloat(v1Row.SERVED!) + Number.parseFloat(v2Row.SERVED!);
  assert.ok(Math.abs(served - 100) < 0.2, `served shares add up to 100%: ${stdout}`);
  // Half the requests are pinned to v1: it serves about 85%, more than its weight says.
  assert.ok(Number.parseFloat(v1Row.SERVED!) > 75, `v1 served more than its 70% weight: ${stdout}`);
  const [rate1, rate2] = [Number(v1Row['REQ/S']), Number(v2Row['REQ/S'])];
  const share = (100 * rate1) / (rate1 + rate2);
  assert.ok(Math.abs(Number.parseFloat(v1Row.SERVED!) - share) < 1, `v1 served ${v1Row.SERVED} of ${rate1 + rate2} req/s: ${stdout}`);
  assert.equal(v1Row.REPLICAS, '-', 'a bare router knows no replicas');
});

test('top without --once keeps showing intervals until Ctrl-C, then exits 0', { timeout: 60_000 }, async (t) => {
  const server = await startTestServer(t, addModel(), { 'shutdown-delay-ms': '0' });
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  t.after(() => router.close(0));
  router.apply({ model: 'm', versions: [{ name: 'v1', weight: 100, url: server.url }], mirror: null });
  const child = spawn(process.execPath, [CLI, 'top', '--url', router.url, '--interval', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  while ((stdout.match(/^VERSION/gm) ?? []).length < 2) {
    if (child.exitCode !== null) assert.fail(`top exited early (${child.exitCode}):\n${stdout}`);
    await sleep(50);
  }
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.ok(!stdout.includes('\x1b['), 'piped output is appended, not redrawn');
});

test('top refuses bad flags and an unreachable router with a clear message', async () => {
  const both = await kubeinfer(['top', 'fraud', '--url', 'http://127.0.0.1:1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give an InferenceService name .* or --url <router>/);
  const interval = await kubeinfer(['top', '--url', 'http://127.0.0.1:1', '--interval', '0']);
  assert.equal(interval.code, 2);
  assert.match(interval.stderr, /--interval must be a number of seconds/);
  const down = await kubeinfer(['top', '--url', `http://127.0.0.1:${await freePort()}`, '--once']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /error: GET http:\/\/127\.0\.0\.1:\d+\/router\/stats failed/);
});

test('the table: one line per version, columns aligned, unknowns as -', () => {
  const text = formatTop('ml/fraud: 2 routers, last 2s', [
    {
      version: 'v1',
      declaredWeight: 90,
      servedPercent: 89.5,
      requestsPerSecond: 179,
      errorsPerSecond: 1.79,
      p99Seconds: 0.0123,
      replicas: { ready: 3, desired: 3 },
    },
    {
      version: 'v2',
      declaredWeight: 10,
      servedPercent: 10.5,
      requestsPerSecond: 21,
      errorsPerSecond: 0,
      p99Seconds: 0.0042,
      replicas: { ready: 0, desired: 1 },
    },
    {
      version: 'v3',
      declaredWeight: undefined,
      servedPercent: undefined,
      requestsPerSecond: 0,
      errorsPerSecond: 0,
      p99Seconds: undefined,
      replicas: undefined,
    },
  ]);
  assert.equal(
    text,
    [
      'ml/fraud: 2 routers, last 2s',
      '',
      'VERSION  WEIGHT  SERVED  REQ/S  ERR/S  ERR%  P99     REPLICAS',
      'v1       90%     89.5%   179.0  1.8    1.0%  12.3ms  3/3',
      'v2       10%     10.5%   21.0   0.0    0.0%  4.20ms  0/1',
      'v3       -       -       0.0    0.0    -     -       -',
      '',
    ].join('\n'),
  );
});
