// fetch-model gs:// against fake-gcs-server (the GCS JSON API emulator) on loopback,
// and the service-account flow against a token endpoint that verifies the RS256 JWT
// with the key's public half, as Google's does. fake-gcs-server accepts any token, so
// the bearer check on object reads is made by a node:http stand-in for the storage API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fetchModel, type FetchModelOptions } from '../../runtime/storage/index.ts';
import {
  expectFetchFailure,
  listTree,
  modelBytes,
  startFakeGcs,
  startHttpServer,
  tempDir,
  type Running,
  type TempDir,
} from '../../tools/storage/servers.ts';

const GRAPH = modelBytes(150_000);
const WEIGHTS = randomBytes(400_000);
const SA_EMAIL = 'model-reader@kubeinfer-test.iam.gserviceaccount.com';
const ISSUED_TOKEN = 'ya29.test-access-token';

let gcs: Running;
let google: Running;
let work: TempDir;
const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const untrusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
const assertions: Record<string, unknown>[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

/** Google's token endpoint and a bearer-checking storage API, on one loopback server. */
async function googleApis(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url!, 'http://x');
  if (req.method === 'POST' && url.pathname === '/token') {
    const form = new URLSearchParams(await readBody(req));
    const [header = '', claims = '', signature = ''] = (form.get('assertion') ?? '').split('.');
    const valid =
      form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
      verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), trusted.publicKey as KeyObject, Buffer.from(signature, 'base64url'));
    if (!valid) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
    assertions.push({ header: JSON.parse(Buffer.from(header, 'base64url').toString()), claims: decoded });
    return json(res, 200, { access_token: ISSUED_TOKEN, expires_in: 3599, token_type: 'Bearer' });
  }
  if (req.headers.authorization !== `Bearer ${ISSUED_TOKEN}`) {
    return json(res, 401, { error: { code: 401, message: 'Anonymous caller does not have storage.objects.get access.' } });
  }
  if (url.pathname === '/storage/v1/b/private/o/model.onnx' && url.searchParams.get('alt') === 'media') {
    return void res.writeHead(200, { 'content-length': GRAPH.length }).end(GRAPH);
  }
  // A model whose second external-data file keeps failing.
  if (url.pathname === '/storage/v1/b/half/o') {
    return json(res, 200, { items: ['m/model.onnx', 'm/a.bin', 'm/b.bin'].map((name) => ({ name, size: String(GRAPH.length) })) });
  }
  if (url.pathname.startsWith('/storage/v1/b/half/o/')) {
    const name = decodeURIComponent(url.pathname.slice('/storage/v1/b/half/o/'.length));
    return name === 'm/b.bin' ? json(res, 503, { error: { code: 503, message: 'backend error' } }) : void res.writeHead(200).end(GRAPH);
  }
  return json(res, 403, {
    error: { code: 403, message: `${SA_EMAIL} does not have storage.objects.get access to the Google Cloud Storage object.` },
  });
}

async function keyDir(name: string, privateKey: KeyObject, tokenUri: string): Promise<string> {
  const dir = path.join(work.dir, name);
  await mkdir(dir, { recursive: true });
  const key = {
    type: 'service_account',
    project_id: 'kubeinfer-test',
    private_key_id: 'k1',
    client_email: SA_EMAIL,
    token_uri: tokenUri,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  };
  await writeFile(path.join(dir, 'service-account.json'), JSON.stringify(key));
  return dir;
}

function options(uri: string, extra: Partial<FetchModelOptions> = {}): FetchModelOptions {
  return {
    uri,
    destDir: work.nextPath('dest'),
    credentialsDir: path.join(work.dir, 'none'),
    env: { STORAGE_EMULATOR_HOST: gcs.url.replace('http://', '') },
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    ...extra,
  };
}

before(async () => {
  work = await tempDir();
  const data = path.join(work.dir, 'gcs-data');
  for (const [name, body] of [
    ['models/fraud/1/model.onnx', GRAPH],
    ['models/large/model.onnx', GRAPH],
    ['models/large/model.onnx.data', WEIGHTS],
    ['models/large/weights/w.bin', WEIGHTS],
  ] as const) {
    await mkdir(path.dirname(path.join(data, name)), { recursive: true });
    await writeFile(path.join(data, name), body);
  }
  gcs = await startFakeGcs(data);
  google = await startHttpServer((req, res) => void googleApis(req, res));
});

after(async () => {
  await gcs?.stop();
  await google?.stop();
  await work?.remove();
});

describe('fetch-model gs:// (fake-gcs-server)', () => {
  test('downloads a public object without credentials', async () => {
    const sha256 = createHash('sha256').update(GRAPH).digest('hex');
    const result = await fetchModel(options('gs://models/fraud/1/model.onnx', { sha256 }));
    assert.deepEqual(await readFile(result.modelPath), GRAPH);
  });

  test('downloads every object under a prefix', async () => {
    const opts = options('gs://models/large/');
    const result = await fetchModel(opts);
    assert.deepEqual(await listTree(opts.destDir), ['model.onnx', 'model.onnx.data', 'weights/', 'weights/w.bin']);
    assert.equal(result.bytes, GRAPH.length + 2 * WEIGHTS.length);
  });

  test('a missing object or prefix is NotFound', async () => {
    assert.equal((await expectFetchFailure(options('gs://models/fraud/9/model.onnx'))).kind, 'NotFound');
    assert.match((await expectFetchFailure(options('gs://models/none/'))).message, /gs:\/\/models\/none\/ is empty or does not exist/);
  });

  test('a service-account key is exchanged for a token (JWT verified) and used with the emulator', async () => {
    const dir = await keyDir('sa-emulator', trusted.privateKey, `${google.url}/token`);
    const opts = options('gs://models/large', { credentialsDir: dir, env: { GCS_ENDPOINT_URL: gcs.url } });
    const result = await fetchModel(opts);
    assert.equal(result.files.length, 3);
    const { header, claims } = assertions.at(-1) as { header: Record<string, unknown>; claims: Record<string, number | string> };
    assert.deepEqual(header, { alg: 'RS256', typ: 'JWT', kid: 'k1' });
    assert.equal(claims.iss, SA_EMAIL);
    assert.equal(claims.aud, `${google.url}/token`);
    assert.equal(claims.scope, 'https://www.googleapis.com/auth/devstorage.read_only');
    assert.equal(Number(claims.exp) - Number(claims.iat), 3600);
  });
});

describe('fetch-model gs:// service-account errors', () => {
  test('the bearer token reaches the storage API', async () => {
    const dir = await keyDir('sa-ok', trusted.privateKey, `${google.url}/token`);
    const result = await fetchModel(options('gs://private/model.onnx', { credentialsDir: dir, env: { GCS_ENDPOINT_URL: google.url } }));
    assert.deepEqual(await readFile(result.modelPath), GRAPH);
  });

  test('a failing external-data file fails the fetch and leaves no file behind', async () => {
    const dir = await keyDir('sa-half', trusted.privateKey, `${google.url}/token`);
    const events: Record<string, unknown>[] = [];
    const error = await expectFetchFailure(
      options('gs://half/m', { credentialsDir: dir, env: { GCS_ENDPOINT_URL: google.url }, log: (event) => events.push(event) }),
    );
    assert.equal(error.kind, 'Unavailable');
    assert.match(
      error.message,
      /^fetch gs:\/\/half\/m: Unavailable: HTTP 503 Service Unavailable: backend error \(gave up after 2 attempts\)$/,
    );
    assert.deepEqual(
      events.filter((event) => event.msg === 'fetch-model retry').map((event) => event.what),
      ['gs://half/m/b.bin'],
    );
  });

  test('a key the token endpoint rejects is AccessDenied naming the key file', async () => {
    const dir = await keyDir('sa-bad', untrusted.privateKey, `${google.url}/token`);
    const error = await expectFetchFailure(
      options('gs://private/model.onnx', { credentialsDir: dir, env: { GCS_ENDPOINT_URL: google.url } }),
    );
    assert.equal(error.kind, 'AccessDenied');
    assert.match(
      error.message,
      /token endpoint .*\/token refused the key: invalid_grant: Invalid JWT Signature\..*service-account key model-reader@.* from Secret file .*sa-bad\/service-account\.json/,
    );
    assert.doesNotMatch(error.message, /PRIVATE KEY/);
  });

  test('403 from storage names the service account; a broken key file is InvalidArgument', async () => {
    const dir = await keyDir('sa-forbidden', trusted.privateKey, `${google.url}/token`);
    const forbidden = await expectFetchFailure(
      options('gs://private/other.onnx', { credentialsDir: dir, env: { GCS_ENDPOINT_URL: google.url } }),
    );
    assert.match(forbidden.message, /HTTP 403, model-reader@.* does not have storage\.objects\.get access.*using service-account key/);
    const broken = path.join(work.dir, 'sa-broken');
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, 'service-account.json'), '{"type": "authorized_user"}');
    const invalid = await expectFetchFailure(options('gs://private/model.onnx', { credentialsDir: broken }));
    assert.equal(invalid.kind, 'InvalidArgument');
    assert.match(invalid.message, /is not a service-account key/);
  });
});
