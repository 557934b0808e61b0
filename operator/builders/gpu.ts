// GPU placement: extended-resource limits, required node affinity on the GPU
// feature-discovery labels, and the toleration for the usual GPU node taint,
// merged with the user's own scheduling settings.
import type { V1Affinity, V1NodeSelectorRequirement, V1NodeSelectorTerm, V1Toleration } from '@kubernetes/client-node';
import type { InferenceService, ResolvedGpu } from '../../api/index.ts';

export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
export const GPU_MEMORY_LABEL = 'nvidia.com/gpu.memory';
export const GPU_TAINT_KEY = 'nvidia.com/gpu';

/** Limits to add to the model container (extended resources need limits only; requests default to them). */
export function gpuLimits(gpu: ResolvedGpu | undefined): Record<string, string> {
  if (!gpu) return {};
  return { [gpu.resourceName]: String(gpu.count) };
}

/** Node selector requirements a GPU spec implies (ANDed into every required term). */
export function gpuNodeRequirements(gpu: ResolvedGpu | undefined): V1NodeSelectorRequirement[] {
  if (!gpu) return [];
  const requirements: V1NodeSelectorRequirement[] = [];
  if (gpu.products.length > 0) requirements.push({ key: GPU_PRODUCT_LABEL, operator: 'In', values: [...gpu.products] });
  // The label holds MiB per GPU; Gt is strict, so "at least N" is Gt N-1.
  if (gpu.memoryMiB !== undefined) requirements.push({ key: GPU_MEMORY_LABEL, operator: 'Gt', values: [String(gpu.memoryMiB - 1)] });
  return requirements;
}

/** The user's affinity with the GPU requirements ANDed into each required node selector term. */
export function podAffinity(isvc: InferenceService, gpu: ResolvedGpu | undefined): V1Affinity | undefined {
  const user = isvc.spec.scheduling?.affinity;
  const requirements = gpuNodeRequirements(gpu);
  if (requirements.length === 0) return user;
  const required = user?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const userTerms: V1NodeSelectorTerm[] = required?.nodeSelectorTerms?.length ? required.nodeSelectorTerms : [{}];
  const nodeSelectorTerms = userTerms.map((term) => ({
    ...term,
    matchExpressions: [...(term.matchExpressions ?? []), ...requirements],
  }));
  return {
    ...user,
    nodeAffinity: {
      ...user?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms },
    },
  };
}

/** The user's tolerations plus the GPU taint's, when GPUs are requested and the user has not tolerated it already. */
export function podTolerations(isvc: InferenceService, gpu: ResolvedGpu | undefined): V1Toleration[] | undefined {
  const user = (isvc.spec.scheduling?.tolerations ?? []).map((toleration) => ({ ...toleration }) as V1Toleration);
  if (gpu && !user.some((toleration) => toleration.key === GPU_TAINT_KEY)) {
    user.push({ key: GPU_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' });
  }
  return user.length > 0 ? user : undefined;
}
