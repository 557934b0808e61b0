// Storage credentials between the operator (which mounts spec.storage.secretRef and checks
// the Secret's keys) and fetch-model (which reads one file per key from the mount).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CREDENTIALS_DIR, CREDENTIAL_PAIRS, REQUIRED_CREDENTIALS } from '../../contracts/index.ts';
import { credentialsProblem } from '../../operator/controller/checks.ts';
import { loadCredentials } from '../../runtime/storage/credentials.ts';
import { tempDir } from '../../tools/storage/servers.ts';
import { inferenceService, versionPod } from './fixtures.ts';

const URIS: Readonly<Record<string, string>> = { s3: 's3://models/fraud/model.onnx', gs: 'gs://models/fraud/model.onnx' };

let secret: { dir: string; remove(): Promise<void> };
before(async () => {
  secret = await tempDir();
});
after(() => secret.remove());

test('fetch-model reads the Secret where the operator mounts it', () => {
  const pod = versionPod(
    inferenceService({ versions: [{ name: 'v1', model: { uri: URIS.s3 } }], storage: { secretRef: { name: 'store' } } }),
    'v1',
  );
  const fetchModel = pod.initContainers?.find((container) => container.name === 'fetch-model');
  assert.ok(fetchModel);
  assert.equal(fetchModel.volumeMounts?.find((mount) => mount.name === 'storage-credentials')?.mountPath, CREDENTIALS_DIR);
  assert.ok(
    !fetchModel.args?.some((arg) => arg.startsWith('--credentials-dir')),
    'fetch-model reads its default directory, the mount path',
  );
});

for (const [scheme, required] of Object.entries(REQUIRED_CREDENTIALS)) {
  test(`${scheme}: a Secret the operator accepts gives fetch-model every key it needs`, async () => {
    const isvc = inferenceService({ versions: [{ name: 'v1', model: { uri: URIS[scheme] } }], storage: { secretRef: { name: 'store' } } });
    assert.equal(credentialsProblem(isvc, { found: true, keys: required.keys }), undefined, 'the operator accepts these keys');
    for (const key of required.keys) await writeFile(path.join(secret.dir, key), `${key}-value\n`);
    const credentials = await loadCredentials(secret.dir, {});
    for (const key of required.keys) assert.equal(credentials.get(key)?.value.trim(), `${key}-value`, `fetch-model reads ${key}`);
  });
}

test('a Secret with half of a credential pair is refused by the operator', () => {
  const isvc = inferenceService({
    versions: [{ name: 'v1', model: { uri: 'https://models.example/m.onnx' } }],
    storage: { secretRef: { name: 'store' } },
  });
  for (const [first, second] of CREDENTIAL_PAIRS) {
    assert.equal(
      credentialsProblem(isvc, { found: true, keys: [first] })?.reason,
      'StorageCredentialsIncomplete',
      `${first} without ${second}`,
    );
  }
});
