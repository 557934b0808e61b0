// The effective settings of each version after overrides and defaults: what the
// operator and local mode run. One place decides "a version's block replaces the
// spec's", so the two never disagree.
import { withSchemaDefaults, type DefaultedAutoscaling, type DefaultedSpec, type DefaultedVersion } from './defaults.ts';
import type {
  AutoscalingEngine,
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
      readonly engine: AutoscalingEngine;
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
export function resolveVersions(input: InferenceServiceSpec): readonly ResolvedVersion[] {
  const spec = withSchemaDefaults(input);
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
    mirrorPercent: spec.traffic?.mirror?.version === version.name ? spec.traffic.mirror.percent : 0,
  }));
}

/** A version's share of live traffic: omitted means 0, or 100 when it is the only version. */
export function effectiveWeight(spec: Pick<InferenceServiceSpec, 'versions'>, version: Pick<ModelVersion, 'weight'>): number {
  return version.weight ?? (spec.versions.length === 1 ? 100 : 0);
}

function resolveScaling(spec: DefaultedSpec, version: DefaultedVersion): ResolvedScaling {
  if (version.replicas !== undefined) return { kind: 'Fixed', replicas: version.replicas };
  const autoscaling = version.autoscaling ?? (spec.replicas === undefined ? spec.autoscaling : undefined);
  if (autoscaling === undefined) return { kind: 'Fixed', replicas: spec.replicas ?? 1 };
  return autoscaled(autoscaling);
}

function autoscaled(autoscaling: DefaultedAutoscaling): ResolvedScaling {
  const metric = autoscaling.metric;
  return {
    kind: 'Autoscaled',
    minReplicas: autoscaling.minReplicas,
    maxReplicas: autoscaling.maxReplicas,
    metric,
    engine: autoscaling.engine,
    target: autoscaling.target ?? DEFAULT_TARGETS[metric],
    ...(autoscaling.behavior === undefined ? {} : { behavior: autoscaling.behavior }),
  };
}

function resolveGpu(spec: DefaultedSpec): ResolvedGpu | undefined {
  const gpu = spec.gpu;
  if (gpu === undefined || gpu.count === 0) return undefined;
  const count = gpu.count;
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
