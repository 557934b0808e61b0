// Promote and rollback are spec edits a user could make by hand: every weight
// set to 0 except the chosen version's, set to 100. They are sent as an RFC
// 6902 JSON patch guarded by `test` operations, so a concurrent edit makes the
// patch fail instead of being overwritten.
import type { InferenceService } from '../../api/index.ts';
import type { JsonPatchOperation } from '../../kube/client.ts';

export type TrafficPatch =
  | { readonly ok: true; readonly operations: readonly JsonPatchOperation[]; readonly unchanged: boolean }
  | { readonly ok: false; readonly message: string };

/** The patch that sends 100% of traffic to `version` (and ends a mirror onto it, which must have weight 0). */
export function allTrafficTo(isvc: InferenceService, version: string): TrafficPatch {
  const versions = isvc.spec.versions;
  const index = versions.findIndex((entry) => entry.name === version);
  if (index < 0) {
    return {
      ok: false,
      message: `InferenceService ${isvc.metadata.name} has no version "${version}"; it has ${versions.map((entry) => entry.name).join(', ')}`,
    };
  }
  const operations: JsonPatchOperation[] = [];
  versions.forEach((entry, i) => {
    const weight = i === index ? 100 : 0;
    // An omitted weight is written out even when its implied value matches: the spec then says it.
    if (entry.weight === weight) return;
    operations.push({ op: 'test', path: `/spec/versions/${i}/name`, value: entry.name });
    operations.push({ op: 'add', path: `/spec/versions/${i}/weight`, value: weight });
  });
  const mirror = isvc.spec.traffic?.mirror;
  if (mirror?.version === version) {
    operations.push({ op: 'test', path: '/spec/traffic/mirror/version', value: version });
    operations.push({ op: 'remove', path: '/spec/traffic/mirror' });
  }
  return { ok: true, operations, unchanged: operations.length === 0 };
}

/** The same edit as a kubectl command, for people who prefer to run it themselves. */
export function kubectlCommand(name: string, namespace: string, operations: readonly JsonPatchOperation[]): string {
  return `kubectl patch inferenceservice ${name} -n ${namespace} --type=json -p '${JSON.stringify(operations)}'`;
}
