// Manual control of a rollout without touching the spec (Argo Rollouts' pause/resume/abort/
// promote-full): annotations on the InferenceService, written by `kubeinfer rollout` (or by
// hand with kubectl annotate) and read by the operator. Annotations, not spec fields, so
// GitOps sees no drift; not status fields, because status belongs to the operator.
import type { ObjectMeta } from './types.ts';

/** Present with "true": the rollout holds its weights and its step until removed. */
export const ROLLOUT_PAUSED_ANNOTATION = 'serving.kubeinfer.io/rollout-paused';
/** `abort@<generation>` or `promote-full@<generation>`: a one-shot command for the rollout of that generation. */
export const ROLLOUT_ACTION_ANNOTATION = 'serving.kubeinfer.io/rollout-action';

export type RolloutAction = 'abort' | 'promote-full';

export interface RolloutControl {
  readonly paused: boolean;
  /** Set only when the annotation names the object's current generation: a leftover never acts on a later rollout. */
  readonly action?: RolloutAction;
}

/** The manual control an object's annotations ask for. */
export function rolloutControl(metadata: ObjectMeta): RolloutControl {
  const annotations = metadata.annotations ?? {};
  const paused = annotations[ROLLOUT_PAUSED_ANNOTATION] === 'true';
  const [action, generation] = (annotations[ROLLOUT_ACTION_ANNOTATION] ?? '').split('@');
  const current = action === 'abort' || action === 'promote-full' ? action : undefined;
  return current !== undefined && Number(generation) === metadata.generation ? { paused, action: current } : { paused };
}

/** The annotation value that asks for `action` on the rollout of `generation`. */
export function rolloutActionValue(action: RolloutAction, generation: number): string {
  return `${action}@${generation}`;
}
