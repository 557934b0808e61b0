// Validated spec and desired objects per InferenceService generation. Most
// reconciles are triggered by children's status changes, not by spec changes;
// they reuse the plan instead of validating and building again.
import type { InferenceService } from '../../api/index.ts';
import { desiredObjects, type BuildOptions } from '../builders/index.ts';
import { objectKey, type KubeObject } from '../../kube/types.ts';
import { checkSpec, type SpecCheck } from './spec.ts';

export interface Plan {
  readonly checked: SpecCheck;
  /** Desired children; empty when the spec is invalid. */
  readonly desired: readonly KubeObject[];
}

/** Identifies one spec of one object: changes with its uid (re-created) or its generation (spec edited), not with status writes. */
export function specStamp(object: KubeObject): string {
  return `${object.metadata.uid}/${object.metadata.generation}`;
}

/** Plans keyed by InferenceService, valid for one uid and generation. */
export class PlanCache {
  readonly #plans = new Map<string, { readonly stamp: string; readonly plan: Plan }>();
  readonly #build: BuildOptions;

  constructor(build: BuildOptions) {
    this.#build = build;
  }

  /** The plan for this object's current generation, with the object's current metadata and status. */
  planFor(object: KubeObject): Plan {
    const key = objectKey(object.metadata);
    const stamp = specStamp(object);
    let entry = this.#plans.get(key);
    if (entry?.stamp !== stamp) {
      const checked = checkSpec(object);
      entry = { stamp, plan: { checked, desired: checked.ok ? desiredObjects(checked.value, this.#build) : [] } };
      this.#plans.set(key, entry);
    }
    const { checked, desired } = entry.plan;
    if (!checked.ok) return entry.plan;
    // Metadata and status are the object's current ones: annotations (rollout commands) change no generation.
    const status = object.status as InferenceService['status'];
    const current: InferenceService = {
      ...checked.value,
      metadata: object.metadata as InferenceService['metadata'],
      ...(status === undefined ? {} : { status }),
    };
    return { checked: { ok: true, value: current }, desired };
  }

  /** Drops the plan of a deleted InferenceService. */
  forget(key: string): void {
    this.#plans.delete(key);
  }
}
