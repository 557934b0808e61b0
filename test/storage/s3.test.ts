// fetch-model s3:// against moto, a real S3 implementation, on loopback. With moto's
// IAM checks switched on, moto verifies SigV4 signatures and key permissions, so the
// signing and the 403 messages are tested against a real verifier.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { AwsClient } from 'aws4fetch';
import { fetchModel, type FetchModelOptions } from '../../runtime/storage/index.ts';
import { expectFetchFailure, listTree, modelBytes, startMoto, tempDir, type Running, type TempDir } from '../../tools/storage/servers.ts';

const GRAPH = modelBytes(200_000);
const WEIGHTS = randomBytes(700_000);
const LAYER = randomBytes(50_000);
const LABELS = Buffer.from('cat\ndog\n');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let moto: Running;
let work: TempDir;
const admin = (service: string) => new AwsClient({ accessKeyId: 'admin', secretAccessKey: 'admin', service, region: 'us-east-1' });

async function put(key: string, body: Buffer | string): Promise<void> {
  const response = await admin('s3').fetch(`${moto.url}/${key}`, { method: 'PUT', body });
  assert.equal(response.status, 200, `PUT ${key}: ${await response.text()}`);
}

/** PUTs a key verbatim (no client-side dot-segment normalisation), like a hostile uploader could. */
async function putRaw(rawPath: string): Promise<void> {
  const signed = await admin('s3').sign(`${moto.url}${rawPath}`, { method: 'PUT', body: 'x' });
  const url = new URL(moto.url);
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: 'PUT', path: rawPath, headers: Object.fromEntries(signed.headers) },
      (res) => {
        res.resume();
        res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${rawPath}: ${res.statusCode}`));
      },
    );
    req.end('x');
  });
}

async function iam(params: Record<string, string>): Promise<string> {
  const response = await admin('iam').fetch(`${moto.url}/`, {
    method: 'POST',
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return text;
}

function xmlField(xml: string, name: string): string {
  const value = new RegExp(`<${name}>(.+?)</${name}>`).exec(xml)?.[1];
  assert.ok(value, `${name} in the IAM response`);
  return value;
}

async function secretDir(name: string, values: Record<string, string>): Promise<string> {
  const dir = path.join(work.dir, name);
  await mkdir(dir, { recursive: true });
  for (const [key, value] of Object.entries(values)) await writeFile(path.join(dir, key), `${value}\n`);
  return dir;
}

function options(uri: string, extra: Partial<FetchModelOptions>): FetchModelOptions {
  return {
    uri,
    destDir: work.nextPath('dest'),
    credentialsDir: path.join(work.dir, 'none'),
    env: { AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'admin', AWS_SECRET_ACCESS_KEY: 'admin' },
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    ...extra,
  };
}

const fetchFails = (uri: string, extra: Partial<FetchModelOptions> = {}) => expectFetchFailure(options(uri, extra));

before(async () => {
  moto = await startMoto();
  work = await tempDir();
  const bucket = await admin('s3').fetch(`${moto.url}/models`, { method: 'PUT' });
  assert.equal(bucket.status, 200);
  await put('models/fraud/1/model.onnx', GRAPH);
  await put('models/fraud/1/labels.txt', LABELS);
  await put('models/large/model.onnx', GRAPH);
  await put('models/large/model.onnx.data', WEIGHTS);
  await put('models/large/weights/layer1.bin', LAYER);
  await put('models/named/fraud.onnx', GRAPH);
  await put('models/named/fraud.onnx.data', WEIGHTS);
  await put('models/evil/model.onnx', GRAPH);
  await putRaw('/models/evil/..%2F..%2Fescape.bin');
  assert.equal((await admin('s3').fetch(`${moto.url}/flat`, { method: 'PUT' })).status, 200);
  await put('flat/model.onnx', GRAPH);
  await put('flat/model.onnx.data', WEIGHTS);
});

after(async () => {
  await moto?.stop();
  await work?.remove();
});

describe('fetch-model s3:// (moto)', () => {
  test('downloads one object named by its key', async () => {
    const opts = options('s3://models/fraud/1/model.onnx', { sha256: sha256(GRAPH) });
    const result = await fetchModel(opts);
    assert.deepEqual(result, { modelPath: path.join(opts.destDir, 'model.onnx'), files: ['model.onnx'], bytes: GRAPH.length });
    assert.deepEqual(await readFile(result.modelPath), GRAPH);
  });

  test('a named file (labels) is one object whatever its extension, checksum verified, same credentials', async () => {
    const opts = options('s3://models/fraud/1/labels.txt', { fileName: 'labels.txt', sha256: sha256(LABELS) });
    const result = await fetchModel(opts);
    assert.deepEqual(result, { modelPath: path.join(opts.destDir, 'labels.txt'), files: ['labels.txt'], bytes: LABELS.length });
    assert.deepEqual(await readFile(result.modelPath), LABELS);
    const mismatch = await fetchFails('s3://models/fraud/1/labels.txt', { fileName: 'labels.txt', sha256: sha256(GRAPH) });
    assert.equal(mismatch.problem.kind, 'ChecksumMismatch');
  });

  test('downloads every object under a prefix, external data included', async () => {
    const events: Record<string, unknown>[] = [];
    const opts = options('s3://models/large', { log: (event) => events.push(event), progressIntervalMs: 0 });
    const result = await fetchModel(opts);
    assert.deepEqual(await listTree(opts.destDir), ['model.onnx', 'model.onnx.data', 'weights/', 'weights/layer1.bin']);
    assert.deepEqual(result.files, ['model.onnx', 'weights/layer1.bin', 'model.onnx.data']);
    assert.equal(result.bytes, GRAPH.length + WEIGHTS.length + LAYER.length);
    assert.deepEqual(await readFile(path.join(opts.destDir, 'model.onnx.data')), WEIGHTS);
    const progress = events.filter((event) => event.msg === 'fetch-model progress');
    assert.equal(progress.at(-1)?.total, result.bytes, 'a listed prefix has a known total');
    assert.equal(progress.at(-1)?.percent, 100);
  });

  test('a prefix whose only graph has another name publishes it as model.onnx', async () => {
    const opts = options('s3://models/named/', {});
    await fetchModel(opts);
    assert.deepEqual(await listTree(opts.destDir), ['fraud.onnx.data', 'model.onnx']);
  });

  test('object keys that climb out of the prefix are refused', async () => {
    const error = await fetchFails('s3://models/evil/');
    assert.equal(error.kind, 'UnsafePath');
    assert.match(error.message, /refusing object name "\.\.\/\.\.\/escape\.bin"/);
  });

  test('missing keys, buckets and prefixes are NotFound', async () => {
    const key = await fetchFails('s3://models/fraud/2/model.onnx');
    assert.equal(key.kind, 'NotFound');
    assert.match(key.message, /NoSuchKey/);
    const bucket = await fetchFails('s3://no-such-bucket/m.onnx');
    assert.match(bucket.message, /NoSuchBucket/);
    const prefix = await fetchFails('s3://models/nothing-here/');
    assert.match(prefix.message, /s3:\/\/models\/nothing-here\/ is empty or does not exist/);
  });

  test('the size limit is checked against the listing before any byte moves', async () => {
    const error = await fetchFails('s3://models/large/', { maxBytes: 500_000 });
    assert.equal(error.kind, 'TooLarge');
    assert.match(error.message, /the model \(3 file\(s\), 928 KiB\) exceeds the size limit of 488 KiB/);
  });

  test('checksum mismatch on a prefix publishes none of its files', async () => {
    const error = await fetchFails('s3://models/large/', { sha256: sha256(WEIGHTS) });
    assert.equal(error.kind, 'ChecksumMismatch');
  });

  describe('with IAM authentication enforced', () => {
    let reader: { id: string; secret: string };
    before(async () => {
      await iam({ Action: 'CreateUser', UserName: 'reader' });
      await iam({
        Action: 'PutUserPolicy',
        UserName: 'reader',
        PolicyName: 'read-models',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
        }),
      });
      const created = await iam({ Action: 'CreateAccessKey', UserName: 'reader' });
      reader = { id: xmlField(created, 'AccessKeyId'), secret: xmlField(created, 'SecretAccessKey') };
      await iam({ Action: 'CreateUser', UserName: 'nobody' });
      const response = await fetch(`${moto.url}/moto-api/reset-auth`, { method: 'POST', body: '0' });
      assert.equal(response.status, 200);
    });

    // moto verifies signatures over the query it decoded, so a listing whose prefix holds
    // "/" fails its check for every client (boto3 included); the signed listing is tested
    // at the bucket root, the signed GET on a nested key.
    test("signed requests with the Secret's key pass moto's signature check", async () => {
      const secret = await secretDir('reader-secret', {
        AWS_ACCESS_KEY_ID: reader.id,
        AWS_SECRET_ACCESS_KEY: reader.secret,
        AWS_ENDPOINT_URL: moto.url,
        AWS_REGION: 'us-east-1',
      });
      const listed = await fetchModel(options('s3://flat', { credentialsDir: secret, env: {} }));
      assert.deepEqual(listed.files, ['model.onnx', 'model.onnx.data']);
      const single = await fetchModel(
        options('s3://models/fraud/1/model.onnx', { credentialsDir: secret, env: {}, sha256: sha256(GRAPH) }),
      );
      assert.equal(single.bytes, GRAPH.length);
    });

    test('a wrong secret is AccessDenied naming the Secret file, never the secret', async () => {
      const secret = await secretDir('wrong-secret', {
        AWS_ACCESS_KEY_ID: reader.id,
        AWS_SECRET_ACCESS_KEY: 'not-the-secret',
        AWS_ENDPOINT_URL: moto.url,
      });
      const error = await fetchFails('s3://models/fraud/1/model.onnx', { credentialsDir: secret, env: {} });
      assert.equal(error.kind, 'AccessDenied');
      assert.match(error.message, /HTTP 403, SignatureDoesNotMatch.*access key from Secret file .*wrong-secret\/AWS_ACCESS_KEY_ID/);
      assert.doesNotMatch(error.message, /not-the-secret/);
    });

    test('an unknown key and an anonymous request are AccessDenied', async () => {
      const unknown = await fetchFails('s3://models/fraud/1/model.onnx', {
        env: { AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000', AWS_SECRET_ACCESS_KEY: 'x' },
      });
      assert.match(unknown.message, /InvalidAccessKeyId.*environment variable AWS_ACCESS_KEY_ID/);
      const anonymous = await fetchFails('s3://models/large/model.onnx', { env: { AWS_ENDPOINT_URL: moto.url } });
      assert.equal(anonymous.kind, 'AccessDenied');
      assert.match(anonymous.message, /no credentials, anonymous request/);
    });

    test('half a key pair is refused before any request', async () => {
      const error = await fetchFails('s3://models/large/', { env: { AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: reader.id } });
      assert.equal(error.kind, 'InvalidArgument');
      assert.match(error.message, /environment variable AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
    });
  });
});
