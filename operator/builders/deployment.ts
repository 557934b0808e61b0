// One version's Deployment. Nothing in it depends on traffic weights, so a
// weight change never rolls model pods.
import type { V1Deployment } from '@kubernetes/client-node';
import type { InferenceService, ResolvedVersion } from '../../api/index.ts';
import { modelSelector, standardLabels } from './labels.ts';
import { versionObjectName } from './names.ts';
import type { BuildOptions } from './options.ts';
import { childMetadata } from './owner.ts';
import { modelPodTemplate } from './pod.ts';
import { fixedReplicas } from './scaling.ts';

/** Deployment `<isvc>-<version>`; `replicas` is left out whenever an HPA owns the count. */
export function modelDeployment(isvc: InferenceService, version: ResolvedVersion, options: BuildOptions): V1Deployment {
  const replicas = fixedReplicas(version);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(isvc, versionObjectName(isvc.metadata.name ?? '', version.name), standardLabels(isvc, 'model', version.name)),
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      revisionHistoryLimit: 3,
      selector: { matchLabels: modelSelector(isvc, version.name) },
      template: modelPodTemplate(isvc, version, options),
    },
  };
}
