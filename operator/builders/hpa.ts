// autoscaling/v2 HorizontalPodAutoscaler of one version, when it may scale.
import type { V2HorizontalPodAutoscaler, V2HorizontalPodAutoscalerBehavior, V2MetricSpec } from '@kubernetes/client-node';
import type { InferenceService, ResolvedVersion } from '../../api/index.ts';
import { standardLabels } from './labels.ts';
import { versionObjectName } from './names.ts';
import { childMetadata } from './owner.ts';
import { hpaScaling, type HpaScaling } from './scaling.ts';

import { CONCURRENCY_METRIC } from '../../contracts/index.ts';

/** The HPA metric: CPU utilization, or average in-flight requests per pod (a Pods metric from a metrics adapter). */
export function hpaMetric(scaling: HpaScaling): V2MetricSpec {
  if (scaling.metric === 'cpu') {
    return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.target } } };
  }
  return {
    type: 'Pods',
    pods: { metric: { name: CONCURRENCY_METRIC }, target: { type: 'AverageValue', averageValue: String(scaling.target) } },
  };
}

/** HPA `<isvc>-<version>`, or undefined when the version has a fixed replica count or KEDA scales it. */
export function versionHpa(isvc: InferenceService, version: ResolvedVersion): V2HorizontalPodAutoscaler | undefined {
  const scaling = hpaScaling(version);
  if (!scaling || scaling.engine !== 'hpa') return undefined;
  const name = versionObjectName(isvc.metadata.name ?? '', version.name);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(isvc, name, standardLabels(isvc, 'model', version.name)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: scaling.minReplicas,
      maxReplicas: scaling.maxReplicas,
      metrics: [hpaMetric(scaling)],
      // Passed through as written: KServe drops it, users rely on it to tame scale-down.
      ...(scaling.behavior ? { behavior: structuredClone(scaling.behavior) as V2HorizontalPodAutoscalerBehavior } : {}),
    },
  };
}
