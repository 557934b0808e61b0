// The operator on a real control plane with a version that declares labels and a pipeline:
// the apiserver admits it, the Deployment it applies carries one fetch-model init container
// per file and the serve settings, and the version becomes Ready on kwok nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRuntimePipeline, type InferenceService } from '../../api/index.ts';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { DeploymentKind } from '../../operator/kube/resources.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { adminClient, applyAsUser, createNamespace, inferenceService, read, startClusterWithCrd, startTestOperator, waitReady } from './harness.ts';

describe('operator reconcile with a pipeline', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator;

  before(async () => {
    cp = await startClusterWithCrd();
    admin = adminClient(cp);
    operator = await startTestOperator(cp);
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  it('applies the init containers and serve settings for labels and steps, and reports Ready', async () => {
    const ns = await createNamespace(cp, 'pipeline');
    const base = inferenceService(ns, 'vision', [{ name: 'v1' }]);
    const version = base.spec.versions[0]!;
    const isvc: InferenceService = {
      ...base,
      spec: {
        ...base.spec,
        versions: [{
          ...version,
          model: { ...version.model, labels: { uri: 'https://models.example/vision/labels.txt' } },
          pipeline: {
            preprocess: [{ image: { input: 'image', output: 'pixels', width: 224, height: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }],
            postprocess: [{ model: { uri: 'https://models.example/vision/argmax.onnx' } }],
          },
        }],
      },
    };
    await applyAsUser(admin, isvc);
    await waitReady(admin, ns, 'vision');
    const pod = ((await read(admin, DeploymentKind, ns, 'vision-v1')) as any).spec.template.spec;
    assert.deepEqual(pod.initContainers.map((container: { name: string }) => container.name), ['fetch-model', 'fetch-labels', 'fetch-postprocess-0']);
    const env = Object.fromEntries(pod.containers[0].env.map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    assert.equal(env.KUBEINFER_LABELS_PATH, '/mnt/artifacts/labels/labels.txt');
    const pipeline = parseRuntimePipeline(env.KUBEINFER_PIPELINE);
    assert.ok(pipeline.ok, JSON.stringify(pipeline));
    assert.deepEqual(pipeline.value.postprocess, [{ model: '/mnt/artifacts/postprocess-0/model.onnx' }]);
    assert.deepEqual((pipeline.value.preprocess[0] as { image: { std: number[] } }).image.std, [0.229, 0.224, 0.225]);
  });
});
