// `kubeinfer route --api-keys-file` as a process, with recording backends on
// loopback: keys from a file or a Secret-shaped directory, 401/403 answers,
// rotation without a restart, audit lines, and credentials that reach neither
// the backends nor the mirror nor any log line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRouterConfig } from '../../contracts/index.ts';
import { spawnCli, startRouterProcess, type RouterProcess } from './process.ts';
import { send, startBackend, type TestBackend } from './support.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { auditLines } from './auth-support.ts';
import { SECRET_VALUES } from '../secret-values.ts';

const { routerKeyA: KEY_A, routerKeyB: KEY_B, routerKeyNew: KEY_NEW, routerCookie: COOKIE } = SECRET_VALUES;
/** bob's Secret entry: the key, then its scopes. */
const BOB = `${KEY_B} pin metrics`;
const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] });

let dir: string;
let backends: [TestBackend, TestBackend];
let router: RouterProcess;

/** Writes keys the way the kubelet mounts a Secret: files behind a `..data` symlink swapped atomically. */
async function writeSecretVolume(volume: string, keys: Readonly<Record<string, string>>, generation: number): Promise<void> {
  const data = join(volume, `..${generation}`);
  await mkdir(data, { recursive: true });
  for (const [name, value] of Object.entries(keys)) await writeFile(join(data, name), value);
  await symlink(`..${generation}`, join(volume, `..data_tmp`));
  await rename(join(volume, '..data_tmp'), join(volume, '..data'));
  for (const name of Object.keys(keys)) await symlink(join('..data', name), join(volume, name)).catch(() => undefined);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-auth-keys-'));
  backends = [await startBackend('v1'), await startBackend('v2')];
  await writeFile(
    join(dir, 'router.json'),
    formatRouterConfig({
      model: 'fraud',
      versions: [
        { name: 'v1', weight: 100, url: backends[0].url },
        { name: 'v2', weight: 0, url: backends[1].url },
      ],
      mirror: { version: 'v2', percent: 100 },
    }),
  );
  await writeSecretVolume(join(dir, 'keys'), { alice: KEY_A, bob: BOB }, 1);
  router = await startRouterProcess(['--config-file', join(dir, 'router.json'), '--api-keys-file', join(dir, 'keys'), '--protect-metrics']);
});

after(async () => {
  await router?.stop();
  await Promise.all(backends.map((backend) => backend.close()));
  await rm(dir, { recursive: true, force: true });
});

const infer = (headers: Record<string, string> = {}, path = '/v2/models/fraud/infer') =>
  send(`${router.url}${path}`, { body, headers: { 'content-type': 'application/json', ...headers } });

describe('router with API keys', () => {
  test('no key or a wrong key is 401 with a challenge; health stays open', async () => {
    const missing = await infer();
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="kubeinfer"');
    assert.match(JSON.parse(missing.body.toString()).error, /missing credential/);
    const wrong = await infer({ authorization: 'Bearer not-a-key' });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.body.toString()).error, 'invalid API key');
    assert.equal((await send(`${router.url}/v2/health/ready`)).status, 200);
  });

  test('with --protect-metrics, /metrics and /router/stats need a key with the scope metrics', async () => {
    for (const path of ['/metrics', '/router/stats']) {
      assert.equal((await send(`${router.url}${path}`)).status, 401, path);
      const unscoped = await send(`${router.url}${path}`, { headers: { 'x-api-key': KEY_A } });
      assert.equal(unscoped.status, 403, path);
      assert.equal(JSON.parse(unscoped.body.toString()).error, `apikey:alice may not get ${path} (the key needs the scope metrics)`);
      assert.equal((await send(`${router.url}${path}`, { headers: { 'x-api-key': KEY_B } })).status, 200, path);
    }
  });

  test('pinning the weight-0 version needs a key with the scope pin', async () => {
    const denied = await infer({ authorization: `Bearer ${KEY_A}` }, '/v2/models/fraud/versions/v2/infer');
    assert.equal(denied.status, 403);
    assert.equal(
      JSON.parse(denied.body.toString()).error,
      'apikey:alice may not pin a version with weight 0 (the key needs the scope pin)',
    );
    assert.equal((await infer({ authorization: `Bearer ${KEY_A}` }, '/v2/models/fraud/versions/v1/infer')).status, 200);
    assert.equal((await infer({ 'x-api-key': KEY_B, 'x-kubeinfer-version': 'v2' })).status, 200);
  });

  test('a key as Bearer or x-api-key is served; the credential and cookies never reach a backend or the mirror', async () => {
    const mirroredBefore = backends[1].requests.length;
    const bearer = await infer({ authorization: `Bearer ${KEY_A}`, cookie: COOKIE, 'x-request-id': 'req-bearer-1' });
    assert.equal(bearer.status, 200);
    assert.equal(bearer.headers['x-request-id'], 'req-bearer-1');
    const header = await infer({ 'x-api-key': KEY_B });
    assert.equal(header.status, 200);
    assert.match(String(header.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'a request id is generated when none is sent');
    await eventually(
      async () => (backends[1].requests.length >= mirroredBefore + 2 ? true : undefined),
      'both requests mirrored to v2',
      10_000,
    );
    const seen = backends.flatMap((backend) => backend.requests.slice(-2));
    for (const request of seen) {
      for (const name of ['authorization', 'x-api-key', 'cookie'])
        assert.equal(request.headers[name], undefined, `${name} forwarded to ${request.url}`);
    }
    assert.ok(seen.some((request) => request.headers['x-kubeinfer-mirror'] === 'true'));
  });

  test('each request leaves one audit line naming the key id, never the key', async () => {
    const answer = await infer({ authorization: `Bearer ${KEY_A}`, 'x-request-id': 'req-audit-7' });
    const denied = await infer({ authorization: 'Bearer not-a-key', 'x-request-id': 'req-audit-8' });
    const pinned = await infer({ 'x-api-key': KEY_B, 'x-request-id': 'req-audit-9' }, '/v2/models/fraud/versions/v2/infer');
    const unknown = await infer({ 'x-api-key': KEY_B, 'x-request-id': 'req-audit-10' }, '/v2/models/fraud/versions/v9/infer');
    assert.deepEqual([answer.status, denied.status, pinned.status, unknown.status], [200, 401, 200, 404]);
    const lines = await eventually(
      async () => {
        const found = auditLines(router.logs).filter((line) => String(line.request_id).startsWith('req-audit-'));
        return found.length === 4 ? found : undefined;
      },
      'four audit lines',
      10_000,
    );
    const byId = Object.fromEntries(lines.map((line) => [line.request_id, line]));
    assert.deepEqual(pick(byId['req-audit-7'], ['caller', 'model', 'version', 'pinned', 'mirrored', 'status', 'method', 'path']), {
      caller: 'apikey:alice',
      model: 'fraud',
      version: 'v1',
      pinned: false,
      mirrored: true,
      status: 200,
      method: 'POST',
      path: '/v2/models/fraud/infer',
    });
    assert.equal(byId['req-audit-7'].bytes_in, Buffer.byteLength(body));
    assert.ok(Number(byId['req-audit-7'].bytes_out) > 0);
    assert.equal(typeof byId['req-audit-7'].latency_ms, 'number');
    assert.equal(typeof byId['req-audit-7'].time, 'string');
    assert.deepEqual(pick(byId['req-audit-8'], ['caller', 'status']), { caller: 'unauthenticated', status: 401 });
    assert.deepEqual(pick(byId['req-audit-9'], ['caller', 'version', 'pinned', 'mirrored']), {
      caller: 'apikey:bob',
      version: 'v2',
      pinned: true,
      mirrored: false,
    });
    assert.deepEqual(pick(byId['req-audit-10'], ['caller', 'version', 'status']), { caller: 'apikey:bob', version: null, status: 404 });
  });

  test('rotating the Secret takes effect without a restart', async () => {
    await writeSecretVolume(join(dir, 'keys'), { alice: KEY_NEW, bob: BOB }, 2);
    await eventually(
      async () => ((await infer({ authorization: `Bearer ${KEY_A}` })).status === 401 ? true : undefined),
      'the rotated-out key refused',
      10_000,
    );
    assert.equal((await infer({ authorization: `Bearer ${KEY_NEW}` })).status, 200);
    assert.equal((await infer({ 'x-api-key': KEY_B })).status, 200);
  });

  test('an unknown scope stops the router with a message naming the line, never the key', async () => {
    await writeFile(join(dir, 'bad-keys'), `# ok\n${KEY_A} pin\n${KEY_B} admin\n`);
    const cli = spawnCli(['route', '--config-file', join(dir, 'router.json'), '--api-keys-file', join(dir, 'bad-keys'), '--port', '0']);
    assert.equal(await cli.exited, 2);
    const output = cli.lines.join('\n');
    assert.match(output, /cannot read API keys: line 3: unknown scope "admin" \(known: pin, metrics\)/);
    assert.ok(!output.includes(KEY_B) && !output.includes(KEY_A), 'a key was printed');
  });

  test('no key, cookie or token appears in any log line', () => {
    const text = router.logs.join('\n');
    for (const secret of [KEY_A, KEY_B, KEY_NEW, 'cookie-value-93ad', 'not-a-key']) assert.ok(!text.includes(secret), `${secret} logged`);
  });
});

function pick(line: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, line[key]]));
}
