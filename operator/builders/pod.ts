// The pod template of one model version: the runtime container (`kubeinfer
// serve`), how its model arrives, placement and security.
import type { V1Container, V1EnvVar, V1PodTemplateSpec, V1ResourceRequirements } from '@kubernetes/client-node';
import type { InferenceService, Quantity, ResolvedVersion, ResourceRequirements } from '../../api/index.ts';
import { serveEnv, versionServeValues } from '../../contracts/index.ts';
import { gpuLimits, podAffinity, podTolerations } from './gpu.ts';
import { scrapeAnnotations, standardLabels } from './labels.ts';
import { modelDelivery } from './model-source.ts';
import { pipelineDelivery } from './pipeline.ts';
import { containerPorts, GRPC_PORT, HTTP_PORT, type BuildOptions } from './options.ts';
import { modelProbes } from './probes.ts';
import { containerSecurityContext, podSecurityContext } from './security.ts';
import { modelTermination } from './termination.ts';

/** The model server container's name; status reads its failures by it (controller/pod-failures.ts). */
export const RUNTIME_CONTAINER = 'runtime';

/**
 * Resources of a model container when the InferenceService names none (requests as KServe's).
 * The memory limit bounds a pod under abuse; the server derives its request-body budget from it.
 */
export const DEFAULT_MODEL_RESOURCES: ResourceRequirements = { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } };

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

/** The runtime's environment: DESIGN.md "Runtime pod" contract, from the shared settings table. */
export function runtimeEnv(isvc: InferenceService, version: ResolvedVersion, modelPath: string, otlpEndpoint?: string): V1EnvVar[] {
  return serveEnv({
    modelPath,
    modelName: isvc.metadata.name ?? '',
    modelVersion: version.name,
    port: HTTP_PORT,
    grpcPort: GRPC_PORT,
    ...(otlpEndpoint === undefined ? {} : { otlpEndpoint }),
    ...versionServeValues(version.runtime),
  });
}

/** Pod template of one version's Deployment. */
export function modelPodTemplate(isvc: InferenceService, version: ResolvedVersion, options: BuildOptions): V1PodTemplateSpec {
  const named = version.resources.requests !== undefined || version.resources.limits !== undefined;
  const resources = containerResources(named ? version.resources : DEFAULT_MODEL_RESOURCES, gpuLimits(version.gpu));
  const delivery = modelDelivery(isvc, version.model, resources, options);
  const pipeline = pipelineDelivery(isvc, version, resources, options);
  // A pvc:// model brings no credentials volume of its own; the artifacts' fetchers may need it.
  const volumes = [
    ...delivery.volumes,
    ...pipeline.volumes.filter((volume) => !delivery.volumes.some((known) => known.name === volume.name)),
  ];
  const initContainers = [...delivery.initContainers, ...pipeline.initContainers];
  const termination = modelTermination();
  const runtime: V1Container = {
    name: RUNTIME_CONTAINER,
    image: options.runtimeImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    args: ['serve'],
    ports: containerPorts(),
    env: [...runtimeEnv(isvc, version, delivery.modelPath, options.otlpEndpoint), ...pipeline.env, ...termination.env],
    resources,
    lifecycle: termination.lifecycle,
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
      terminationGracePeriodSeconds: termination.terminationGracePeriodSeconds,
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
