// KEDA ScaledObject (keda.sh/v1alpha1) of one version, for `autoscaling.engine: keda`.
// KEDA makes and owns the HorizontalPodAutoscaler itself; the operator owns the ScaledObject.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { InferenceService, ResolvedVersion } from '../../api/index.ts';
import { CONCURRENCY_METRIC } from '../../contracts/index.ts';
import { standardLabels } from './labels.ts';
import { versionObjectName } from './names.ts';
import { childMetadata } from './owner.ts';
import { hpaScaling, type HpaScaling } from './scaling.ts';

/** The fields of keda.sh/v1alpha1 ScaledObject the operator sets. */
export interface ScaledObject {
  readonly apiVersion: 'keda.sh/v1alpha1';
  readonly kind: 'ScaledObject';
  readonly metadata: V1ObjectMeta;
  readonly spec: Record<string, unknown>;
}

/**
 * The PromQL KEDA's prometheus trigger runs: the version's in-flight requests summed over its pods.
 * KEDA divides by the replica count (metricType AverageValue), which makes it the HPA's Pods average.
 * Pods are matched by name (`<deployment>-<replicaset hash>-<suffix>`, PromQL regexes are anchored),
 * with the `namespace` and `pod` target labels that the usual Kubernetes scrape relabelling writes.
 */
export function concurrencyQuery(namespace: string, deployment: string): string {
  return `sum(${CONCURRENCY_METRIC}{namespace="${namespace}",pod=~"${deployment}-[a-z0-9]+-[a-z0-9]+"})`;
}

function trigger(scaling: HpaScaling, namespace: string, deployment: string, prometheusUrl: string): Record<string, unknown> {
  if (scaling.metric === 'cpu') return { type: 'cpu', metricType: 'Utilization', metadata: { value: String(scaling.target) } };
  return {
    type: 'prometheus',
    metricType: 'AverageValue',
    metadata: {
      serverAddress: prometheusUrl,
      query: concurrencyQuery(namespace, deployment),
      threshold: String(scaling.target),
      // No pods serving yet means nothing in flight, not an error that freezes the scaler.
      ignoreNullValues: 'true',
    },
  };
}

/**
 * ScaledObject `<isvc>-<version>` when the version autoscales with engine keda, else undefined.
 * `prometheusUrl` is where KEDA queries the concurrency metric (the operator's --keda-prometheus-url).
 */
export function versionScaledObject(isvc: InferenceService, version: ResolvedVersion, prometheusUrl: string): ScaledObject | undefined {
  const scaling = hpaScaling(version);
  if (!scaling || scaling.engine !== 'keda') return undefined;
  const name = versionObjectName(isvc.metadata.name ?? '', version.name);
  const namespace = isvc.metadata.namespace ?? 'default';
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: childMetadata(isvc, name, standardLabels(isvc, 'model', version.name)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicaCount: scaling.minReplicas,
      maxReplicaCount: scaling.maxReplicas,
      // KEDA names its HPA keda-hpa-<name>: never the name of an HPA from engine hpa, so switching engines cannot collide.
      ...(scaling.behavior ? { advanced: { horizontalPodAutoscalerConfig: { behavior: structuredClone(scaling.behavior) } } } : {}),
      triggers: [trigger(scaling, namespace, name, prometheusUrl)],
    },
  };
}
