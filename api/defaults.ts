// The schema's defaults as a type: which fields are always present once admission (or
// validateInferenceService) has filled them in. The values themselves live only in the
// schema; `withSchemaDefaults` applies them, so no other code spells a default out.
import { inferenceServiceSchema } from './schema.ts';
import { applyDefaults } from './schema-walk.ts';
import type { Autoscaling, GpuRequirements, InferenceServiceSpec, ModelVersion, RouterSettings, TrafficMirror } from './types.ts';

type Filled<T, K extends keyof T> = Omit<T, K> & { readonly [P in K]-?: Exclude<T[P], undefined> };

export type DefaultedAutoscaling = Filled<Autoscaling, 'minReplicas' | 'metric' | 'engine'>;

export interface DefaultedVersion extends Omit<ModelVersion, 'autoscaling'> {
  readonly autoscaling?: DefaultedAutoscaling;
}

/** A spec as stored: every field with a schema default is present. */
export interface DefaultedSpec extends Omit<InferenceServiceSpec, 'versions' | 'autoscaling' | 'gpu' | 'router' | 'traffic'> {
  readonly versions: readonly DefaultedVersion[];
  readonly autoscaling?: DefaultedAutoscaling;
  readonly gpu?: Filled<GpuRequirements, 'count'>;
  readonly router: Filled<RouterSettings, 'replicas'>;
  readonly traffic?: { readonly mirror?: Filled<TrafficMirror, 'percent'> };
}

const SPEC_NODE = inferenceServiceSchema.node.properties?.spec ?? inferenceServiceSchema.node;

/**
 * The spec with the schema's defaults applied, as the apiserver stores it. A no-op on
 * objects read from the API or returned by validateInferenceService; hand-built specs
 * (tests, the fake client) read the same through it.
 */
export function withSchemaDefaults(spec: InferenceServiceSpec): DefaultedSpec {
  // applyDefaults fills exactly the fields DefaultedSpec marks as present.
  return applyDefaults(SPEC_NODE, spec) as DefaultedSpec;
}
