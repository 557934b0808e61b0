// fetch-model over http(s) against a real node:http server on loopback: redirects,
// credentials, slow, stalled, flaky and failing endpoints. Every failure must leave
// the destination without anything that looks like a model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fetchModel, type ModelFetchError, type FetchModelOptions } from '../../runtime/storage/index.ts';
import {
  expectFetchFailure,
  listTree,
  modelBytes,
  startHttpServer,
  tempDir,
  type Running,
  type TempDir,
} from '../../tools/storage/servers.ts';

const MODEL = modelBytes(1024 * 1024 + 17);
const MODEL_SHA256 = createHash('sha256').update(MODEL).digest('hex');
const FAST_RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };
// The test servers speak plain http on loopback; egress.test.ts covers what the strict default refuses.
const PLAIN_HTTP_TEST_SERVER = { allowPlainHttpCredentials: true };

let origin: Running;
let other: Running;
let work: TempDir;
const seenAuthorization = new Map<string, string | undefined>();
const hits = new Map<string, number>();

function count(req: IncomingMessage): number {
  const next = (hits.get(req.url!) ?? 0) + 1;
  hits.set(req.url!, next);
  return next;
}

function sendModel(res: ServerResponse, body: Buffer = MODEL): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url!, 'http://x');
  seenAuthorization.set(url.pathname, req.headers.authorization);
  const attempt = count(req);
  switch (url.pathname) {
    case '/model.onnx':
      return sendModel(res);
    case '/redirect.onnx':
      return void res.writeHead(302, { location: '/model.onnx' }).end();
    case '/cross-origin.onnx':
      return void res.writeHead(307, { location: `${other.url}/model.onnx` }).end();
    case '/loop.onnx':
      return void res.writeHead(302, { location: '/loop.onnx' }).end();
    case '/bearer.onnx':
      return req.headers.authorization === 'Bearer s3cr3t-token'
        ? sendModel(res)
        : void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('token required');
    case '/basic.onnx':
      return req.headers.authorization === `Basic ${Buffer.from('alice:pa55').toString('base64')}`
        ? sendModel(res)
        : void res.writeHead(401).end();
    case '/forbidden.onnx':
      return void res.writeHead(403, { 'content-type': 'text/plain' }).end('you shall not pass');
    case '/missing.onnx':
      return void res.writeHead(404).end('no such model');
    case '/flaky.onnx':
      return attempt <= 2 ? void res.writeHead(503, { 'retry-after': '0' }).end('warming up') : sendModel(res);
    case '/broken.onnx':
      return void res.writeHead(500).end('internal error');
    case '/slow.onnx':
      return dribble(res, 16, 40);
    case '/stall.onnx':
      res.writeHead(200, { 'content-length': MODEL.length });
      return void res.write(MODEL.subarray(0, 4096));
    case '/truncated.onnx':
      res.writeHead(200, { 'content-length': MODEL.length });
      if (attempt === 1) return void res.write(MODEL.subarray(0, 100_000), () => res.destroy());
      return void res.end(MODEL);
    case '/reset.onnx':
      return void req.socket.destroy();
    case '/big.onnx':
      return void res.writeHead(200, { 'content-length': 3 * 1024 * 1024 }).end();
    case '/chunked-big.onnx':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < 3; i += 1) res.write(MODEL);
      return void res.end();
    case '/login.onnx':
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>Sign in</html>');
    default:
      return void res.writeHead(404).end();
  }
}

function dribble(res: ServerResponse, chunks: number, everyMs: number): void {
  res.writeHead(200, { 'content-length': MODEL.length });
  const size = Math.ceil(MODEL.length / chunks);
  let sent = 0;
  const timer = setInterval(() => {
    res.write(MODEL.subarray(sent, sent + size));
    sent += size;
    if (sent >= MODEL.length) {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

before(async () => {
  origin = await startHttpServer(route);
  other = await startHttpServer(route);
  work = await tempDir();
});

after(async () => {
  await origin?.stop();
  await other?.stop();
  await work?.remove();
});

async function fetchInto(
  uri: string,
  extra: Partial<FetchModelOptions> = {},
): Promise<{ dest: string; events: Record<string, unknown>[]; result: Awaited<ReturnType<typeof fetchModel>> }> {
  const dest = work.nextPath('dest');
  const events: Record<string, unknown>[] = [];
  const result = await fetchModel({
    uri,
    destDir: dest,
    credentialsDir: path.join(work.dir, 'no-secret'),
    env: {},
    retry: FAST_RETRY,
    egress: PLAIN_HTTP_TEST_SERVER,
    log: (event) => events.push(event),
    ...extra,
  });
  return { dest, events, result };
}

/** Runs a fetch that must fail; returns its error and asserts nothing model-like remains. */
function fetchFails(uri: string, extra: Partial<FetchModelOptions> = {}): Promise<ModelFetchError> {
  const dest = work.nextPath('dest');
  return expectFetchFailure({
    uri,
    destDir: dest,
    credentialsDir: path.join(work.dir, 'no-secret'),
    env: {},
    retry: FAST_RETRY,
    egress: PLAIN_HTTP_TEST_SERVER,
    ...extra,
  });
}

describe('fetch-model http(s)', () => {
  test('downloads a file as model.onnx and reports its bytes', async () => {
    const { dest, result, events } = await fetchInto(`${origin.url}/model.onnx`, { sha256: MODEL_SHA256 });
    assert.deepEqual(result, { modelPath: path.join(dest, 'model.onnx'), files: ['model.onnx'], bytes: MODEL.length });
    assert.deepEqual(await readFile(result.modelPath), MODEL);
    assert.deepEqual(await listTree(dest), ['model.onnx']);
    const done = events.find((event) => event.msg === 'fetch-model done');
    assert.equal(done?.sha256, MODEL_SHA256);
  });

  test('follows redirects', async () => {
    const { result } = await fetchInto(`${origin.url}/redirect.onnx`);
    assert.deepEqual(await readFile(result.modelPath), MODEL);
  });

  test('drops credentials when an allowed redirect leaves the host', async () => {
    await fetchInto(`${origin.url}/cross-origin.onnx`, {
      env: { HTTP_BEARER_TOKEN: 's3cr3t-token' },
      egress: { ...PLAIN_HTTP_TEST_SERVER, allowCrossHostRedirects: true },
    });
    assert.equal(seenAuthorization.get('/cross-origin.onnx'), 'Bearer s3cr3t-token');
    assert.equal(seenAuthorization.get('/model.onnx'), undefined);
  });

  test('sends a bearer token from the credentials directory', async () => {
    const secret = path.join(work.dir, 'secret-bearer');
    await mkdir(secret, { recursive: true });
    await writeFile(path.join(secret, 'HTTP_BEARER_TOKEN'), 's3cr3t-token\n');
    const { result } = await fetchInto(`${origin.url}/bearer.onnx`, { credentialsDir: secret });
    assert.equal(result.bytes, MODEL.length);
  });

  test('sends basic credentials from the environment or the URI', async () => {
    await fetchInto(`${origin.url}/basic.onnx`, { env: { HTTP_USERNAME: 'alice', HTTP_PASSWORD: 'pa55' } });
    const withUserinfo = `${origin.url.replace('http://', 'http://alice:pa55@')}/basic.onnx`;
    const { events } = await fetchInto(withUserinfo);
    assert.ok(
      events.every((event) => !JSON.stringify(event).includes('pa55')),
      'the password must never be logged',
    );
  });

  test('401 and 403 name the credential source, never the secret', async () => {
    const wrong = await fetchFails(`${origin.url}/bearer.onnx`, { env: { HTTP_BEARER_TOKEN: 'wrong-token' } });
    assert.equal(wrong.kind, 'AccessDenied');
    assert.match(wrong.message, /HTTP 401.*bearer token from environment variable HTTP_BEARER_TOKEN/);
    assert.doesNotMatch(wrong.message, /wrong-token/);
    const forbidden = await fetchFails(`${origin.url}/forbidden.onnx`);
    assert.match(
      forbidden.message,
      /^fetch http:\/\/127\.0\.0\.1:\d+\/forbidden\.onnx: AccessDenied: access denied \(HTTP 403\) using no credentials/,
    );
    assert.doesNotMatch(forbidden.message, /shall not pass/, 'an error page is never read back into the message');
    const userinfo = await fetchFails(`${origin.url.replace('http://', 'http://alice:nope@')}/basic.onnx`);
    assert.match(userinfo.message, /fetch http:\/\/\*\*\*@127\.0\.0\.1.*basic auth from the URI/);
    assert.doesNotMatch(userinfo.message, /nope/);
  });

  test('404 is NotFound and is not retried', async () => {
    const error = await fetchFails(`${origin.url}/missing.onnx`);
    assert.equal(error.kind, 'NotFound');
    assert.match(error.message, /not found \(HTTP 404\)/);
    assert.equal(hits.get('/missing.onnx'), 1);
  });

  test('retries 503 with backoff, then succeeds', async () => {
    const { result, events } = await fetchInto(`${origin.url}/flaky.onnx`);
    assert.equal(result.bytes, MODEL.length);
    assert.equal(hits.get('/flaky.onnx'), 3);
    assert.equal(events.filter((event) => event.msg === 'fetch-model retry').length, 2);
  });

  test('a persistent 500 fails as Unavailable after every attempt', async () => {
    const error = await fetchFails(`${origin.url}/broken.onnx`);
    assert.equal(error.kind, 'Unavailable');
    assert.match(error.message, /HTTP 500 Internal Server Error \(gave up after 3 attempts\)/);
    assert.equal(hits.get('/broken.onnx'), 3);
  });

  test('a slow download logs progress with bytes, total and rate', async () => {
    const { result, events } = await fetchInto(`${origin.url}/slow.onnx`, { progressIntervalMs: 100 });
    assert.equal(result.bytes, MODEL.length);
    const progress = events.filter((event) => event.msg === 'fetch-model progress');
    assert.ok(progress.length >= 2, `expected progress lines, got ${progress.length}`);
    for (const line of progress) {
      assert.equal(line.total, null, 'a single http file has no total before it starts');
      assert.equal(typeof line.bytes, 'number');
      assert.equal(typeof line.rate_mib_s, 'number');
    }
  });

  test('a stalled connection times out, is retried, then fails as Timeout', async () => {
    const error = await fetchFails(`${origin.url}/stall.onnx`, {
      idleTimeoutMs: 300,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    assert.equal(error.kind, 'Timeout');
    assert.match(error.message, /no data from 127\.0\.0\.1:\d+ for 0\.3s \(gave up after 2 attempts\)/);
  });

  test('a truncated body is retried and the model is complete', async () => {
    const { result } = await fetchInto(`${origin.url}/truncated.onnx`, { sha256: MODEL_SHA256 });
    assert.deepEqual(await readFile(result.modelPath), MODEL);
    assert.equal(hits.get('/truncated.onnx'), 2);
  });

  test('connection resets fail as Network after retries', async () => {
    const error = await fetchFails(`${origin.url}/reset.onnx`);
    assert.equal(error.kind, 'Network');
    assert.match(error.message, /gave up after 3 attempts/);
  });

  test('too many redirects, refused connections and DNS failures are Network errors', async () => {
    assert.match((await fetchFails(`${origin.url}/loop.onnx`)).message, /too many redirects/);
    const closed = await startHttpServer(route);
    await closed.stop();
    const refused = await fetchFails(`${closed.url}/model.onnx`);
    assert.equal(refused.kind, 'Network');
    assert.match(refused.message, /connection to 127\.0\.0\.1:\d+ refused/);
    const dns = await fetchFails('http://model-store.invalid/model.onnx');
    assert.equal(dns.kind, 'Network');
    assert.match(dns.message, /DNS lookup failed for model-store\.invalid/);
  });

  test('checksum mismatch fails and publishes nothing', async () => {
    const error = await fetchFails(`${origin.url}/model.onnx`, { sha256: 'ab'.repeat(32) });
    assert.equal(error.kind, 'ChecksumMismatch');
    assert.match(error.message, new RegExp(`expected ${'ab'.repeat(32)}, got ${MODEL_SHA256}`));
  });

  test('the size limit applies to the announced length and to the bytes that arrive', async () => {
    const announced = await fetchFails(`${origin.url}/big.onnx`, { maxBytes: 2 * 1024 * 1024 });
    assert.equal(announced.kind, 'TooLarge');
    assert.match(announced.message, /exceeds the size limit of 2\.0 MiB/);
    const streamed = await fetchFails(`${origin.url}/chunked-big.onnx`, { maxBytes: 2 * 1024 * 1024 });
    assert.equal(streamed.kind, 'TooLarge');
  });

  test('an HTML page is not a model', async () => {
    const error = await fetchFails(`${origin.url}/login.onnx`);
    assert.equal(error.kind, 'NotAModel');
  });

  test('cancellation stops the download and cleans up', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const error = await fetchFails(`${origin.url}/slow.onnx`, { signal: abort.signal });
    assert.equal(error.kind, 'Aborted');
  });

  test('directory URLs and bad options are refused up front', async () => {
    assert.equal((await fetchFails(`${origin.url}/models/`)).kind, 'InvalidUri');
    assert.equal((await fetchFails(`${origin.url}/model.onnx`, { sha256: 'xyz' })).kind, 'InvalidArgument');
    assert.equal((await fetchFails(`${origin.url}/basic.onnx`, { env: { HTTP_USERNAME: 'alice' } })).kind, 'InvalidArgument');
  });
});
