// The pure parts of model storage: object-name safety, directory plans, backoff,
// S3 XML, S3 addressing, byte quantities, JWT assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { parseByteQuantity } from '../../runtime/storage/command.ts';
import { redactUri } from '../../api/redact.ts';
import { planDirectory, safeRelativePath } from '../../runtime/storage/layout.ts';
import { backoffDelay, parseRetryAfter } from '../../runtime/storage/retry.ts';
import { signAssertion } from '../../runtime/storage/sources/gcs-auth.ts';
import { s3Config, s3Url } from '../../runtime/storage/sources/s3.ts';
import { parseListObjectsV2, s3ErrorReason } from '../../runtime/storage/sources/s3-xml.ts';
import type { Credentials } from '../../runtime/storage/credentials.ts';

test('safeRelativePath refuses names that would leave the model directory', () => {
  for (const name of ['model.onnx', 'weights/w.bin', 'a.b/c..d']) assert.ok(safeRelativePath(name).ok, name);
  for (const name of ['../x', 'a/../../x', '/etc/passwd', 'a//b', './x', 'a\\..\\x', 'C:x', 'a/\0b', '']) {
    const checked = safeRelativePath(name);
    assert.ok(!checked.ok && checked.problem.kind === 'UnsafePath', JSON.stringify(name));
  }
});

test('planDirectory puts model.onnx last and keeps the other names', () => {
  const planned = planDirectory(
    [
      { relativePath: 'model.onnx', size: 1 },
      { relativePath: 'sub/', size: 0 },
      { relativePath: 'sub/w.bin', size: 2 },
      { relativePath: 'model.onnx.data', size: 3 },
    ],
    'x',
  );
  assert.ok(planned.ok);
  assert.deepEqual(
    planned.value.map((file) => file.target),
    ['sub/w.bin', 'model.onnx.data', 'model.onnx'],
  );
  const renamed = planDirectory(
    [
      { relativePath: 'fraud.onnx', size: 1 },
      { relativePath: 'nested/other.onnx', size: 1 },
    ],
    'x',
  );
  assert.ok(renamed.ok);
  assert.deepEqual(
    renamed.value.map((file) => [file.object.relativePath, file.target]),
    [
      ['nested/other.onnx', 'nested/other.onnx'],
      ['fraud.onnx', 'model.onnx'],
    ],
  );
  const none = planDirectory([{ relativePath: 'README.md', size: 1 }], 'gs://b/p/');
  assert.ok(
    !none.ok && /gs:\/\/b\/p\/ holds no model\.onnx \(found README\.md\)/.test(none.problem.kind === 'NotFound' ? none.problem.reason : ''),
  );
});

test('backoff grows exponentially under a cap, with full jitter, and honours Retry-After', () => {
  const policy = { attempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry, () => 1)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.equal(
    backoffDelay(policy, 3, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(policy, 1, () => 0, 700),
    700,
  );
  assert.equal(
    backoffDelay(policy, 1, () => 0, 60_000),
    1000,
  );
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(parseRetryAfter('soon'), undefined);
});

test('parseListObjectsV2 decodes url-encoded keys and continuation tokens', () => {
  const page = parseListObjectsV2(`<?xml version="1.0"?><ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
    <Contents><Key>m/a+b%2Bc.bin</Key><Size>12</Size></Contents><Contents><Key>m/model.onnx</Key><Size>3</Size></Contents>
    <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;x</NextContinuationToken></ListBucketResult>`);
  assert.deepEqual(page, {
    ok: true,
    value: {
      objects: [
        { key: 'm/a b+c.bin', size: 12 },
        { key: 'm/model.onnx', size: 3 },
      ],
      nextToken: '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x',
    },
  });
  assert.equal(parseListObjectsV2('<Error/>').ok, false);
  assert.equal(
    s3ErrorReason('<Error><Code>AccessDenied</Code><Message>Access &amp; Denied</Message></Error>'),
    'AccessDenied: Access & Denied',
  );
});

test('S3 addressing: AWS is virtual-hosted, custom endpoints and dotted buckets path-style', () => {
  const credentials = (values: Record<string, string>): Credentials => ({
    get: (key) => (values[key] ? { value: values[key], source: `environment variable ${key}` } : null),
    searched: 'test',
  });
  const aws = s3Config('models', credentials({ AWS_REGION: 'eu-west-1' }));
  assert.ok(aws.ok);
  assert.equal(
    s3Url(aws.value, 'models', "fraud/1/model (v2)'s.onnx").href,
    'https://models.s3.eu-west-1.amazonaws.com/fraud/1/model%20%28v2%29%27s.onnx',
  );
  const dotted = s3Config('models.example.com', credentials({}));
  assert.ok(dotted.ok && dotted.value.pathStyle);
  const minio = s3Config(
    'models',
    credentials({ AWS_ENDPOINT_URL: 'http://minio.storage:9000/', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }),
  );
  assert.ok(minio.ok);
  assert.equal(s3Url(minio.value, 'models', 'm.onnx').href, 'http://minio.storage:9000/models/m.onnx');
  assert.match(
    minio.value.credentials,
    /access key from environment variable AWS_ACCESS_KEY_ID \(region us-east-1, endpoint http:\/\/minio\.storage:9000\)/,
  );
  const forced = s3Config('models', credentials({ AWS_ENDPOINT_URL: 'https://s3.example.com', AWS_S3_FORCE_PATH_STYLE: 'false' }));
  assert.ok(forced.ok && !forced.value.pathStyle);
});

test('parseByteQuantity reads Kubernetes-style sizes', () => {
  assert.equal(parseByteQuantity('20Gi'), 20 * 1024 ** 3);
  assert.equal(parseByteQuantity('500M'), 500e6);
  assert.equal(parseByteQuantity('1048576'), 1048576);
  assert.equal(parseByteQuantity('1.5Ki'), 1536);
  for (const bad of ['', '-1', '0', 'lots', '10Q']) assert.equal(parseByteQuantity(bad), null, bad);
});

test('redactUri hides URI credentials and presigned query strings', () => {
  assert.equal(redactUri('https://user:pw@host/m.onnx'), 'https://***@host/m.onnx');
  assert.equal(redactUri('s3://b/k'), 's3://b/k');
  assert.equal(
    redactUri('https://bucket.s3.amazonaws.com/m.onnx?X-Amz-Signature=abc&X-Amz-Security-Token=t0k#frag'),
    'https://bucket.s3.amazonaws.com/m.onnx?***',
  );
  assert.equal(redactUri('https://host/m.onnx#part'), 'https://host/m.onnx');
});

test('signAssertion produces an RS256 JWT that the public key verifies', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwt = signAssertion(
    {
      clientEmail: 'sa@p.iam.gserviceaccount.com',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      privateKeyId: null,
      tokenUri: 'https://oauth2.googleapis.com/token',
    },
    1_700_000_000,
  );
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'a JWT has three parts');
  const [header = '', claims = '', signature = ''] = parts;
  assert.ok(verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url')));
  assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'RS256', typ: 'JWT' });
  assert.deepEqual(JSON.parse(Buffer.from(claims, 'base64url').toString()), {
    iss: 'sa@p.iam.gserviceaccount.com',
    scope: 'https://www.googleapis.com/auth/devstorage.read_only',
    aud: 'https://oauth2.googleapis.com/token',
    iat: 1_700_000_000,
    exp: 1_700_003_600,
  });
});
