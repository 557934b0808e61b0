// The InferenceService as the operator uses it: validated against the same
// schema and rules as admission (a CRD installed without them, or an older
// stored object, must still never crash the operator) and with defaults applied.
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import type { KubeObject } from '../kube/types.ts';
import type { Problem } from './checks.ts';

export type SpecCheck = { readonly ok: true; readonly value: InferenceService } | { readonly ok: false; readonly problem: Problem };

/** Validates a cached InferenceService; an invalid one becomes an InvalidSpec problem. */
export function checkSpec(object: KubeObject): SpecCheck {
  const result = validateInferenceService(object);
  if (result.ok) return { ok: true, value: result.value };
  const detail = result.problems.slice(0, 5).map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  const more = result.problems.length > 5 ? ` (and ${result.problems.length - 5} more)` : '';
  return { ok: false, problem: { reason: 'InvalidSpec', message: `the spec is invalid: ${detail}${more}. Run kubeinfer validate on the manifest.` } };
}
