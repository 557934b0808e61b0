// The pod template of one model version: the runtime container (`kubeinfer
// serve`), how its model arrives, placement and security.
import type { V1Container, V1EnvVar, V1PodTemplateSpec, V1ResourceRequirements } from '@kubernetes/client-node';
import type { InferenceService, Quantity, ResolvedVersion, ResourceRequirements } from '../../api/index.ts';
import { gpuLimits, podAffinity, podTolerations } from './gpu.ts';
import { scrapeAnnotations, standardLabels } from './labels.ts';
import { modelDelivery } from './model-source.ts';
import { pipelineDelivery } from './pipeline.ts';
import { containerPorts, GRPC_PORT, HTTP_PORT, type BuildOptions } from './options.ts';
import { modelProbes } from './probes.ts';
import { containerSecurityContext, podSecurityContext } from './security.ts';

/** Requests for a model container when the InferenceService names none (as KServe does). */
export const DEFAULT_MODEL_RESOURCES: ResourceRequirements = { requests: { cpu: '1', memory: '1Gi' } };

/** Converts API quantities (string or number) to the strings a container spec holds. */
export function containerResources(resources: ResourceRequirements, extraLimits: Record<string, string> = {}): V1ResourceRequirements {
  const strings = (list: Readonly<Record<string, Quantity>> | undefined) =>
    list ? Object.fromEntries(Object.entries(list).map(([name, value]) => [name, String(value)])) : undefined;
  const requests = strings(resources.requests);
  const limits = { ...strings(resources.limits), ...extraLimits };
  return {
    ...(requests && Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/** The runtime's environment: DESIGN.md "Runtime pod" contract. */
export function runtimeEnv(isvc: InferenceService, version: ResolvedVersion, modelPath: string): V1EnvVar[] {
  const { runtime } = version;
  const optional: [string, number | string | undefined][] = [
    ['KUBEINFER_WORKERS', runtime.workers],
    ['KUBEINFER_MAX_BATCH_SIZE', runtime.batching?.maxBatchSize],
    ['KUBEINFER_MAX_QUEUE_DELAY_MICROS', runtime.batching?.maxQueueDelayMicros],
    ['KUBEINFER_MAX_QUEUE_SIZE', runtime.maxQueueSize],
    ['KUBEINFER_MAX_REQUEST_BYTES', runtime.maxRequestBytes],
    ['KUBEINFER_EXECUTION_PROVIDER', runtime.executionProvider],
  ];
  return [
    { name: 'KUBEINFER_MODEL_PATH', value: modelPath },
    { name: 'KUBEINFER_MODEL_NAME', value: isvc.metadata.name ?? '' },
    { name: 'KUBEINFER_MODEL_VERSION', value: version.name },
    { name: 'KUBEINFER_PORT', value: String(HTTP_PORT) },
    { name: 'KUBEINFER_GRPC_PORT', value: String(GRPC_PORT) },
    ...optional.filter((entry): entry is [string, number | string] => entry[1] !== undefined).map(([name, value]) => ({ name, value: String(value) })),
  ];
}

/** Pod template of one version's Deployment. */
export function modelPodTemplate(isvc: InferenceService, version: ResolvedVersion, options: BuildOptions): V1PodTemplateSpec {
  const named = version.resources.requests !== undefined || version.resources.limits !== undefined;
  const resources = containerResources(named ? version.resources : DEFAULT_MODEL_RESOURCES, gpuLimits(version.gpu));
  const delivery = modelDelivery(isvc, version.model, resources, options);
  const pipeline = pipelineDelivery(isvc, version, resources, options);
  // A pvc:// model brings no credentials volume of its own; the artifacts' fetchers may need it.
  const volumes = [...delivery.volumes, ...pipeline.volumes.filter((volume) => !delivery.volumes.some((known) => known.name === volume.name))];
  const initContainers = [...delivery.initContainers, ...pipeline.initContainers];
  const runtime: V1Container = {
    name: 'runtime',
    image: options.runtimeImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    args: ['serve'],
    ports: containerPorts(),
    env: [...runtimeEnv(isvc, version, delivery.modelPath), ...pipeline.env],
    resources,
    ...modelProbes(),
    securityContext: containerSecurityContext(),
    volumeMounts: [...delivery.runtimeMounts, ...pipeline.runtimeMounts],
  };
  const scheduling = isvc.spec.scheduling;
  const affinity = podAffinity(isvc, version.gpu);
  const tolerations = podTolerations(isvc, version.gpu);
  return {
    metadata: { labels: standardLabels(isvc, 'model', version.name), annotations: scrapeAnnotations(HTTP_PORT) },
    spec: {
      automountServiceAccountToken: false, // the model server never calls the Kubernetes API
      securityContext: podSecurityContext(),
      ...(options.imagePullSecrets?.length ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [runtime],
      volumes,
      ...(scheduling?.nodeSelector ? { nodeSelector: { ...scheduling.nodeSelector } } : {}),
      ...(affinity ? { affinity } : {}),
      ...(tolerations ? { tolerations } : {}),
      ...(scheduling?.priorityClassName ? { priorityClassName: scheduling.priorityClassName } : {}),
    },
  };
}
