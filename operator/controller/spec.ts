// The InferenceService as the operator uses it: validated against the same
// schema and rules as admission (a CRD installed without them, or an older
// stored object, must still never crash the operator) and with defaults applied.
// A pvc:// URI must also parse as the contract reads it: the operator mounts the
// claim itself, so nothing later (fetch-model) would report a bad path.
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { parseModelUri } from '../../contracts/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Problem } from './checks.ts';

export type SpecCheck = { readonly ok: true; readonly value: InferenceService } | { readonly ok: false; readonly problem: Problem };

/** Validates a cached InferenceService; an invalid one becomes an InvalidSpec problem. */
export function checkSpec(object: KubeObject): SpecCheck {
  const result = validateInferenceService(object);
  const problems = result.ok ? claimProblems(result.value) : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
  if (result.ok && problems.length === 0) return { ok: true, value: result.value };
  const detail = problems.slice(0, 5).join('; ');
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return {
    ok: false,
    problem: { reason: 'InvalidSpec', message: `the spec is invalid: ${detail}${more}. Run kubeinfer validate on the manifest.` },
  };
}

function claimProblems(isvc: InferenceService): string[] {
  return isvc.spec.versions.flatMap((version, i) => {
    if (!version.model.uri.startsWith('pvc://')) return [];
    const parsed = parseModelUri(version.model.uri);
    return parsed.ok ? [] : [`spec.versions[${i}].model.uri: ${parsed.problem.reason}`];
  });
}
