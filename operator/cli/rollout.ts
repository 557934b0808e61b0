// `kubeinfer rollout status|pause|resume|abort|promote-full <name>`: Argo Rollouts-style
// control of a running rollout without touching the spec. The commands set annotations
// (api/rollout-control.ts) that the operator acts on; each prints the equivalent kubectl.
import { ROLLOUT_ACTION_ANNOTATION, ROLLOUT_PAUSED_ANNOTATION, rolloutActionValue, type InferenceService } from '../../api/index.ts';
import { describeError } from '../../kube/errors.ts';
import { InferenceServiceKind } from '../../kube/resources.ts';
import { readInferenceService, type ClusterFlags } from './cluster.ts';
import { formatRollout } from './status.ts';

export type RolloutVerb = 'status' | 'pause' | 'resume' | 'abort' | 'promote-full';

const ACTIVE = new Set(['Shadowing', 'Progressing', 'Paused']);

/** The annotation change a verb makes; null removes the annotation. */
function annotationFor(verb: Exclude<RolloutVerb, 'status'>, isvc: InferenceService): readonly [string, string | null] {
  if (verb === 'pause') return [ROLLOUT_PAUSED_ANNOTATION, 'true'];
  if (verb === 'resume') return [ROLLOUT_PAUSED_ANNOTATION, null];
  return [ROLLOUT_ACTION_ANNOTATION, rolloutActionValue(verb, isvc.metadata.generation ?? 0)];
}

/** Exit codes: 0 done, 1 no rollout to act on or the API refused, 2 unusable kubeconfig. */
export async function rolloutCommand(verb: RolloutVerb, name: string, flags: ClusterFlags): Promise<number> {
  const read = await readInferenceService(name, flags);
  if (!read.ok) return read.exitCode;
  const { client, namespace, isvc } = read;
  const rollout = isvc.status?.rollout;
  if (verb === 'status') {
    process.stdout.write(
      rollout
        ? `${formatRollout(rollout, isvc.spec.rollout?.steps.length ?? 0)}\n`
        : `${namespace}/${name}: no rollout (weights apply as the spec says)\n`,
    );
    return 0;
  }
  if (verb !== 'resume' && (rollout === undefined || !ACTIVE.has(rollout.phase))) {
    process.stderr.write(
      `error: ${namespace}/${name} has no rollout in progress${rollout ? ` (it is ${rollout.phase})` : ''}; nothing to ${verb}\n`,
    );
    return 1;
  }
  const [key, value] = annotationFor(verb, isvc);
  process.stdout.write(
    `equivalent: kubectl annotate inferenceservice ${name} -n ${namespace} --overwrite ${value === null ? `${key}-` : `${key}=${value}`}\n`,
  );
  const path = `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const hasAnnotations = isvc.metadata.annotations !== undefined;
  const present = isvc.metadata.annotations?.[key] !== undefined;
  if (value === null && !present) return 0;
  const operations =
    value === null
      ? [{ op: 'remove' as const, path }]
      : hasAnnotations
        ? [{ op: 'add' as const, path, value }]
        : [{ op: 'add' as const, path: '/metadata/annotations', value: { [key]: value } }];
  const written = await client.patch(InferenceServiceKind, { namespace, name }, operations);
  if (!written.ok) {
    process.stderr.write(`error: rollout ${verb} ${namespace}/${name}: ${describeError(written.error)}\n`);
    return 1;
  }
  process.stdout.write(`${namespace}/${name}: rollout ${verb} requested. Watch: kubeinfer rollout status ${name} -n ${namespace}\n`);
  return 0;
}
