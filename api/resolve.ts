// The effective settings of each version after overrides and defaults: what the
// operator and local mode run. One place decides "a version's block replaces the
// spec's", so the two never disagree.
import type {
  Autoscaling,
  AutoscalingMetric,
  ExecutionProvider,
  InferenceServiceSpec,
  Pipeline,
  VersionModel,
  ModelVersion,
  ResourceRequirements,
  RuntimeSettings,
  ScalingBehavior,
} from './types.ts';

/** Default HPA target per metric: percent of requested CPU, or in-flight requests per pod. */
export const DEFAULT_TARGETS: Readonly<Record<AutoscalingMetric, number>> = { cpu: 80, concurrency: 8 };

export type ResolvedScaling =
  | { readonly kind: 'Fixed'; readonly replicas: number }
  | {
      readonly kind: 'Autoscaled';
      readonly minReplicas: number;
      readonly maxReplicas: number;
      readonly metric: AutoscalingMetric;
      readonly target: number;
      readonly behavior?: ScalingBehavior;
    };

/** GPU request of each pod: `resourceName` is `nvidia.com/gpu` or `nvidia.com/mig-<profile>`. */
export interface ResolvedGpu {
  readonly resourceName: string;
  readonly count: number;
  readonly products: readonly string[];
  readonly memoryMiB?: number;
  readonly mig?: string;
}

export interface ResolvedVersion {
  readonly name: string;
  readonly model: VersionModel;
  readonly pipeline?: Pipeline;
  /** Percent of live traffic (an omitted weight is 0, or 100 for the only version). */
  readonly weight: number;
  readonly resources: ResourceRequirements;
  readonly scaling: ResolvedScaling;
  readonly runtime: RuntimeSettings & { readonly executionProvider: ExecutionProvider };
  readonly gpu?: ResolvedGpu;
  /** Percent of live requests copied to this version when it is the mirror target, else 0. */
  readonly mirrorPercent: number;
}

/** Resolves every version of a validated spec (see `validateInferenceService`). */
export function resolveVersions(spec: InferenceServiceSpec): readonly ResolvedVersion[] {
  const gpu = resolveGpu(spec);
  return spec.versions.map((version) => ({
    name: version.name,
    model: version.model,
    ...(version.pipeline === undefined ? {} : { pipeline: version.pipeline }),
    weight: effectiveWeight(spec, version),
    resources: version.resources ?? spec.resources ?? {},
    scaling: resolveScaling(spec, version),
    runtime: resolveRuntime(version.runtime ?? spec.runtime ?? {}, gpu),
    ...(gpu === undefined ? {} : { gpu }),
    mirrorPercent: spec.traffic?.mirror?.version === version.name ? (spec.traffic.mirror.percent ?? 100) : 0,
  }));
}

/** A version's share of live traffic: omitted means 0, or 100 when it is the only version. */
export function effectiveWeight(spec: InferenceServiceSpec, version: ModelVersion): number {
  return version.weight ?? (spec.versions.length === 1 ? 100 : 0);
}

/** `v1=90,v2=10` plus `v3=mirror:20` for a mirror target: the printer column's text. */
export function formatTrafficSummary(
  versions: readonly { readonly name: string; readonly weight: number }[],
  mirror?: { readonly version: string; readonly percent: number },
): string {
  const parts = versions.map((version) => (version.name === mirror?.version ? `${version.name}=mirror:${mirror.percent}` : `${version.name}=${version.weight}`));
  return parts.join(',');
}

function resolveScaling(spec: InferenceServiceSpec, version: ModelVersion): ResolvedScaling {
  if (version.replicas !== undefined) return { kind: 'Fixed', replicas: version.replicas };
  const autoscaling = version.autoscaling ?? (spec.replicas === undefined ? spec.autoscaling : undefined);
  if (autoscaling === undefined) return { kind: 'Fixed', replicas: spec.replicas ?? 1 };
  return autoscaled(autoscaling);
}

function autoscaled(autoscaling: Autoscaling): ResolvedScaling {
  const metric = autoscaling.metric ?? 'cpu';
  return {
    kind: 'Autoscaled',
    minReplicas: autoscaling.minReplicas ?? 1,
    maxReplicas: autoscaling.maxReplicas,
    metric,
    target: autoscaling.target ?? DEFAULT_TARGETS[metric],
    ...(autoscaling.behavior === undefined ? {} : { behavior: autoscaling.behavior }),
  };
}

function resolveGpu(spec: InferenceServiceSpec): ResolvedGpu | undefined {
  const gpu = spec.gpu;
  const count = gpu?.count ?? 1;
  if (gpu === undefined || count === 0) return undefined;
  return {
    resourceName: gpu.mig === undefined ? 'nvidia.com/gpu' : `nvidia.com/mig-${gpu.mig}`,
    count,
    products: gpu.products ?? [],
    ...(gpu.memoryMiB === undefined ? {} : { memoryMiB: gpu.memoryMiB }),
    ...(gpu.mig === undefined ? {} : { mig: gpu.mig }),
  };
}

function resolveRuntime(runtime: RuntimeSettings, gpu: ResolvedGpu | undefined): ResolvedVersion['runtime'] {
  return { ...runtime, executionProvider: runtime.executionProvider ?? (gpu === undefined ? 'cpu' : 'cuda') };
}
