// pvc:// between the operator (which mounts the claim and tells serve which file to load)
// and fetch-model (which verifies a mounted claim): both must find the same file. A real
// directory stands in for the claim; the operator's subPath and KUBEINFER_MODEL_PATH are
// resolved against it exactly as the kubelet would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fetchModel } from '../../runtime/storage/index.ts';
import { tempDir } from '../../tools/storage/servers.ts';
import { inferenceService, runtimeEnvValue, versionPod } from './fixtures.ts';

const MODEL_DIR = '/mnt/models';

let claim: { dir: string; remove(): Promise<void> };
before(async () => {
  claim = await tempDir();
});
after(() => claim.remove());

/** Where the operator's pod would read the model, inside the claim directory. */
function operatorModelFile(uri: string): string {
  const pod = versionPod(inferenceService({ versions: [{ name: 'v1', model: { uri } }] }), 'v1');
  assert.equal(pod.volumes?.find((volume) => volume.name === 'model')?.persistentVolumeClaim?.claimName, 'models');
  const subPath = pod.containers[0]?.volumeMounts?.find((mount) => mount.name === 'model')?.subPath ?? '';
  const modelPath = runtimeEnvValue(pod, 'KUBEINFER_MODEL_PATH') ?? '';
  assert.ok(modelPath.startsWith(`${MODEL_DIR}/`), modelPath);
  return path.join(claim.dir, subPath, path.relative(MODEL_DIR, modelPath));
}

for (const [uri, stored] of [
  ['pvc://models/fraud/MODEL.ONNX', 'fraud/MODEL.ONNX'],
  ['pvc://models//a/model.onnx', 'a/model.onnx'],
  ['pvc://models/fraud/v2', 'fraud/v2/model.onnx'],
  ['pvc://models/fraud/1/fraud.onnx', 'fraud/1/fraud.onnx'],
  ['pvc://models/model.onnx', 'model.onnx'],
] as const) {
  test(`${uri}: the operator and fetch-model find ${stored} in the claim`, async () => {
    const file = path.join(claim.dir, stored);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'onnx graph bytes');
    const loaded = operatorModelFile(uri);
    assert.equal(loaded, file, 'the file serve loads is the one the URI names');
    const pod = versionPod(inferenceService({ versions: [{ name: 'v1', model: { uri } }] }), 'v1');
    const mounted = path.join(claim.dir, pod.containers[0]?.volumeMounts?.find((mount) => mount.name === 'model')?.subPath ?? '');
    const verified = await fetchModel({ uri, destDir: mounted });
    assert.equal(verified.modelPath, file, 'fetch-model verifies the same file in the mounted sub-path');
  });
}
