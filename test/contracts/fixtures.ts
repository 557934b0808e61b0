// What the operator's side of a contract produces for a spec: a validated (defaulted)
// InferenceService and the pod template of one version, read as the objects it applies.
import assert from 'node:assert/strict';
import type { V1PodSpec } from '@kubernetes/client-node';
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { desiredObjects } from '../../operator/builders/index.ts';

export const BUILD_OPTIONS = { runtimeImage: 'registry.example/kubeinfer:1.2.3' } as const;

/** An InferenceService `fraud` in namespace `ml`, validated and defaulted as admission would. */
export function inferenceService(spec: Record<string, unknown>): InferenceService {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'fraud', namespace: 'ml' },
    spec,
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.value;
}

/** The pod spec of version `version`'s Deployment. */
export function versionPod(isvc: InferenceService, version: string): V1PodSpec {
  const deployment = desiredObjects(isvc, BUILD_OPTIONS).find(
    (object) => object.kind === 'Deployment' && object.metadata.name === `fraud-${version}`,
  );
  const pod = (deployment as { spec?: { template?: { spec?: V1PodSpec } } } | undefined)?.spec?.template?.spec;
  assert.ok(pod, `Deployment fraud-${version} is built`);
  return pod;
}

/** The value of one environment variable of the runtime container. */
export function runtimeEnvValue(pod: V1PodSpec, name: string): string | undefined {
  return pod.containers[0]?.env?.find((variable) => variable.name === name)?.value;
}
