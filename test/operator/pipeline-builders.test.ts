// A version's labels and pipeline in its pod: one fetch-model init container per file,
// an artifacts volume, and serve settings that `kubeinfer serve` itself parses back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { desiredObjects } from '../../operator/builders/index.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';

const OPTIONS = { runtimeImage: 'registry.example/kubeinfer:1.2.3' };
const IMAGE = { input: 'image', output: 'pixels', width: 224, height: 224 };

function vision(model: Record<string, unknown>): InferenceService {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'vision', namespace: 'ml' },
    spec: {
      versions: [
        {
          name: 'v1',
          model: { ...model, labels: { uri: 's3://models/vision/labels.txt', sha256: 'b'.repeat(64) } },
          pipeline: {
            preprocess: [{ image: IMAGE }, { model: { uri: 'gs://models/vision/normalise' } }],
            postprocess: [{ model: { uri: 'https://models.example/argmax.onnx' } }],
          },
        },
      ],
      storage: { secretRef: { name: 'model-store' } },
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function podOf(isvc: InferenceService): any {
  const deployment: any = desiredObjects(isvc, OPTIONS).find(
    (object) => object.kind === 'Deployment' && object.metadata.name === 'vision-v1',
  );
  return deployment.spec.template.spec;
}

describe('pipeline delivery', () => {
  it('fetches the labels and every step graph into /mnt/artifacts with the storage credentials', () => {
    const pod = podOf(vision({ uri: 's3://models/vision/model.onnx' }));
    assert.deepEqual(
      pod.initContainers.map((container: { name: string; args: string[] }) => [container.name, container.args]),
      [
        ['fetch-model', ['fetch-model', 's3://models/vision/model.onnx', '/mnt/models', '--max-bytes', '20Gi']],
        [
          'fetch-labels',
          [
            'fetch-model',
            's3://models/vision/labels.txt',
            '/mnt/artifacts/labels',
            '--file-name',
            'labels.txt',
            '--sha256',
            'b'.repeat(64),
          ],
        ],
        ['fetch-preprocess-1', ['fetch-model', 'gs://models/vision/normalise', '/mnt/artifacts/preprocess-1', '--file-name', 'model.onnx']],
        [
          'fetch-postprocess-0',
          ['fetch-model', 'https://models.example/argmax.onnx', '/mnt/artifacts/postprocess-0', '--file-name', 'model.onnx'],
        ],
      ],
    );
    for (const container of pod.initContainers.slice(1)) {
      assert.deepEqual(
        container.volumeMounts.map((mount: { name: string }) => mount.name),
        ['artifacts', 'tmp', 'storage-credentials'],
      );
    }
    const runtime = pod.containers[0];
    assert.deepEqual(
      runtime.volumeMounts.find((mount: { name: string }) => mount.name === 'artifacts'),
      { name: 'artifacts', mountPath: '/mnt/artifacts', readOnly: true },
    );
    assert.deepEqual(pod.volumes.filter((volume: { name: string }) => volume.name === 'storage-credentials').length, 1);
  });

  it('keeps a pvc:// model mounted and still fetches the artifacts, with their own credentials volume', () => {
    const pod = podOf(vision({ uri: 'pvc://models/vision/model.onnx' }));
    assert.deepEqual(
      pod.initContainers.map((container: { name: string }) => container.name),
      ['fetch-labels', 'fetch-preprocess-1', 'fetch-postprocess-0'],
    );
    assert.deepEqual(
      pod.volumes.map((volume: { name: string }) => volume.name),
      ['model', 'tmp', 'artifacts', 'storage-credentials'],
    );
  });

  it('gives serve settings that `kubeinfer serve` parses into the declared pipeline (the contract, both sides)', () => {
    const env = Object.fromEntries(
      podOf(vision({ uri: 's3://models/vision/model.onnx' })).containers[0].env.map((entry: { name: string; value: string }) => [
        entry.name,
        entry.value,
      ]),
    );
    const resolved = resolveServeConfig({}, env);
    assert.ok(resolved.ok, JSON.stringify(resolved));
    assert.equal(resolved.config.labelsPath, '/mnt/artifacts/labels/labels.txt');
    assert.deepEqual(resolved.config.pipeline, {
      preprocess: [
        { image: { ...IMAGE, layout: 'NCHW', channels: 'RGB', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], resize: 'fill' } },
        { model: '/mnt/artifacts/preprocess-1/model.onnx' },
      ],
      postprocess: [{ model: '/mnt/artifacts/postprocess-0/model.onnx' }],
    });
  });
});
