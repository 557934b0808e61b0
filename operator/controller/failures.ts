// Why a Deployment the operator owns is not ready, one level down from its
// replica counts: pods the apiserver refuses to create (the ReplicaSet's
// ReplicaFailure), then what its pods report, then the Deployment's progress
// deadline. Pure: callers pass the cached objects.
import type { KubeObject } from '../../kube/types.ts';
import { podFinding, podProgress, type Finding } from './pod-failures.ts';
import type { Workload } from './workloads.ts';

export type { Finding } from './pod-failures.ts';

interface ConditionsShape {
  readonly status?: {
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
  };
}

const conditionOf = (object: KubeObject | undefined, type: string) =>
  (object as ConditionsShape | undefined)?.status?.conditions?.find((condition) => condition.type === type);

/** What to do about an admission refusal, by the admission plugin that wrote it. */
const CREATE_HINTS: readonly [RegExp, (match: RegExpMatchArray) => string][] = [
  [/no PriorityClass with name (\S+) was found/, (m) => `create PriorityClass ${m[1]}, or change spec.scheduling.priorityClassName`],
  [/exceeded quota: ([^,\s]+)/, (m) => `raise ResourceQuota ${m[1]}, or lower the pods' requests or their number`],
  [/failed quota: ([^:\s]+)/, (m) => `ResourceQuota ${m[1]} needs every container to declare what it limits: set them in spec.resources`],
  [/(maximum|minimum) \S+ usage per (Container|Pod)|LimitRange/, () => "change spec.resources to fit the namespace's LimitRange"],
  [
    /violates PodSecurity/,
    () => "the namespace's Pod Security level refuses these pods; relax its pod-security.kubernetes.io/enforce label",
  ],
];

/** The ReplicaSet (or, before one exists, the Deployment) failing to create pods. */
function creationFinding(
  deployment: KubeObject,
  replicaSet: KubeObject | undefined,
  redact: (text: string) => string,
): Finding | undefined {
  const failure = [conditionOf(replicaSet, 'ReplicaFailure'), conditionOf(deployment, 'ReplicaFailure')].find((c) => c?.status === 'True');
  if (!failure) return undefined;
  const text = failure.message ?? failure.reason ?? 'ReplicaFailure';
  const hint = CREATE_HINTS.map(([pattern, say]) => {
    const match = text.match(pattern);
    return match ? say(match) : undefined;
  }).find(Boolean);
  // An admission refusal stays until something changes; anything else (a webhook that timed out,
  // an internal error) may pass on the ReplicaSet controller's next try, so it only reconciles.
  const refused = /is forbidden|denied the request/.test(text);
  const owner = replicaSet ? `ReplicaSet ${replicaSet.metadata.name}` : `Deployment ${deployment.metadata.name}`;
  return {
    reason: refused ? 'PodsForbidden' : 'ReplicaFailure',
    stalled: refused,
    message: `pods cannot be created (${owner}): ${redact(text)}${hint ? `. Fix: ${hint}.` : ''}`,
  };
}

/** Why a Deployment that is not ready is not ready; a transient Progressing finding when nothing failed. */
export function workloadFinding(deployment: KubeObject | undefined, workload: Workload, scrub: (text: string) => string): Finding {
  // Quoted text ends where our advice begins: no doubled full stop.
  const redact = (text: string) => scrub(text).replace(/[.\s]+$/, '');
  if (!deployment) return { reason: 'Progressing', stalled: false, message: 'the Deployment does not exist yet' };
  const created = creationFinding(deployment, workload.replicaSet, redact);
  if (created) return created;
  const found = workload.pods.map((pod) => ({ pod, finding: podFinding(pod, redact) })).filter((entry) => entry.finding !== undefined);
  const [firstFound] = found;
  if (firstFound) {
    const first = firstFound.finding as Finding;
    const others = found.length > 1 ? ` (${found.length} of ${workload.pods.length} pods fail)` : '';
    return { ...first, message: `${first.message}${others}` };
  }
  const deadline = conditionOf(deployment, 'Progressing');
  if (deadline?.status === 'False' && deadline.reason === 'ProgressDeadlineExceeded') {
    return {
      reason: 'ProgressDeadlineExceeded',
      stalled: true,
      message: `${redact(deadline.message ?? 'progress deadline exceeded')}. Its pods: ${describePods(workload)}.`,
    };
  }
  return { reason: 'Progressing', stalled: false, message: describePods(workload) };
}

function describePods(workload: Workload): string {
  if (workload.pods.length === 0) return 'no pods yet';
  return workload.pods.map(podProgress).join('; ');
}
