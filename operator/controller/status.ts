// The InferenceService's status, computed from what the caches show. kstatus
// semantics: observedGeneration is the InferenceService's own generation;
// Ready is always present; Reconciling and Stalled appear only while true
// ("abnormal-true"), which is how kstatus, Helm 4 --wait, Flux and
// `kubectl wait --for=condition=Ready` read progress and failure.
import {
  formatTrafficSummary,
  mirrorOf,
  resolveVersions,
  type Condition,
  type ConditionType,
  type InferenceService,
  type InferenceServiceStatus,
  type ResolvedVersion,
  type VersionStatus,
} from '../../api/index.ts';
import type { RolloutDecision } from '../../rollout/machine.ts';
import { minimumAvailable } from '../builders/scaling.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { Problem } from './checks.ts';
import type { Finding } from './failures.ts';

interface DeploymentShape {
  readonly metadata: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly readyReplicas?: number;
    readonly availableReplicas?: number;
  };
}

/** How far one Deployment has come. */
export interface WorkloadProgress {
  /** spec.replicas (what the Deployment or its HPA asks for). */
  readonly desired: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly ready: boolean;
}

/** A Deployment is ready when its controller saw the latest spec, no old-template pods remain and enough pods are available (minimumAvailable: an HPA's floor). */
export function workloadProgress(object: KubeObject | undefined, minimumAvailable?: number): WorkloadProgress {
  if (!object) return { desired: 0, replicas: 0, readyReplicas: 0, ready: false };
  const deployment = object as unknown as DeploymentShape;
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const available = status.availableReplicas ?? 0;
  // With an HPA, ready means serving at least the declared floor; the count above it moves with load
  // and must not flip readiness. A fixed count must be fully rolled out and available.
  const enough = minimumAvailable !== undefined ? available >= minimumAvailable : updated >= desired && available >= Math.max(desired, 1);
  return { desired, replicas, readyReplicas: status.readyReplicas ?? 0, ready: observed && replicas <= updated && enough };
}

export interface StatusInputs {
  /** Live Deployment by name (from the cache). */
  readonly deployment: (name: string) => KubeObject | undefined;
  /** Why a Deployment that is not ready is not ready (controller/failures.ts). */
  readonly diagnose: (deployment: KubeObject | undefined) => Finding;
  readonly versionDeploymentName: (version: string) => string;
  readonly routerDeploymentName: string;
  readonly url: string;
  /** Stalled problems (operator-detectable or permanent API refusals). */
  readonly problems: readonly Problem[];
  /** A transient failure during this reconcile (keeps Reconciling, retried with backoff). */
  readonly transientFailure?: string | undefined;
  /** The rollout's state and effective traffic; absent when the spec's weights apply as they are. */
  readonly rollout?: RolloutDecision | undefined;
  readonly now: Date;
}

/** `v1=90,v2=10`, with the mirror target as `v3=mirror:20`: the effective traffic (a rollout's, while one runs). */
function trafficSummary(resolved: readonly ResolvedVersion[], rollout: RolloutDecision | undefined): string {
  return formatTrafficSummary(
    resolved.map((v) => ({ name: v.name, weight: effectiveWeight(v, rollout) })),
    rollout?.mirror ?? mirrorOf(resolved),
  );
}

function effectiveWeight(version: ResolvedVersion, rollout: RolloutDecision | undefined): number {
  return rollout?.weights.find((w) => w.name === version.name)?.weight ?? version.weight;
}

/** An aborted rollout stalls the object until the spec changes; a running one keeps it reconciling. */
function rolloutState(rollout: RolloutDecision | undefined): { problems: Problem[]; waiting: string[] } {
  const status = rollout?.status;
  if (status?.phase === 'Aborted') return { problems: [{ reason: 'RolloutAborted', message: status.message }], waiting: [] };
  if (status === undefined || status.phase === 'Succeeded') return { problems: [], waiting: [] };
  return { problems: [], waiting: [`rollout (${status.phase}: ${status.message})`] };
}

interface WorkloadReport {
  /** `version v1` or `router`. */
  readonly subject: string;
  readonly progress: WorkloadProgress;
  /** Set only while not ready. */
  readonly finding?: Finding;
}

function report(inputs: StatusInputs, subject: string, deploymentName: string, minimum?: number): WorkloadReport {
  const deployment = inputs.deployment(deploymentName);
  const progress = workloadProgress(deployment, minimum);
  return { subject, progress, ...(progress.ready ? {} : { finding: inputs.diagnose(deployment) }) };
}

/** The status the InferenceService should have now. */
export function desiredStatus(isvc: InferenceService, inputs: StatusInputs): InferenceServiceStatus {
  const resolved = resolveVersions(isvc.spec);
  const traffic = trafficSummary(resolved, inputs.rollout);
  const rollout = rolloutState(inputs.rollout);
  const versionReports = resolved.map((version) => ({
    version,
    workload: report(inputs, `version ${version.name}`, inputs.versionDeploymentName(version.name), minimumAvailable(version)),
  }));
  const versions: VersionStatus[] = versionReports.map(({ version, workload: { progress: p, finding } }) => {
    return {
      name: version.name,
      weight: effectiveWeight(version, inputs.rollout),
      replicas: p.replicas,
      readyReplicas: p.readyReplicas,
      ready: p.ready,
      ...(finding ? { reason: finding.reason, message: finding.message } : {}),
    };
  });
  const workloads = [...versionReports.map(({ workload }) => workload), report(inputs, 'router', inputs.routerDeploymentName)];
  const stuck = workloads.flatMap(({ subject, finding }) =>
    finding?.stalled ? [{ reason: finding.reason, message: `${subject}: ${finding.message}` }] : [],
  );
  const problems = [...inputs.problems, ...stuck, ...rollout.problems];
  const generation = isvc.metadata.generation ?? 0;
  const condition = conditionFactory(generation, inputs.now);
  let conditions: Condition[];
  const [firstProblem, ...moreProblems] = problems;
  if (firstProblem) {
    conditions = stalledConditions(condition, [firstProblem, ...moreProblems]);
  } else {
    const waiting = [
      ...workloads
        .filter(({ progress: p }) => !p.ready)
        .map(
          ({ subject, progress: p, finding }) =>
            `${subject} (${p.readyReplicas}/${p.desired} ready${finding ? `: ${finding.message}` : ''})`,
        ),
      ...rollout.waiting,
    ];
    if (inputs.transientFailure) waiting.unshift(inputs.transientFailure);
    conditions =
      waiting.length === 0
        ? [condition('Ready', 'True', 'Ready', `${versions.length} version(s) ready; traffic ${traffic}`)]
        : [
            condition('Ready', 'False', 'Progressing', `waiting for ${waiting.join(', ')}`),
            condition('Reconciling', 'True', 'Progressing', `waiting for ${waiting.join(', ')}`),
          ];
  }
  const rolloutStatus = inputs.rollout?.status;
  return {
    observedGeneration: generation,
    conditions: keepTransitionTimes(conditions, isvc.status?.conditions),
    url: inputs.url,
    versions,
    trafficSummary: traffic,
    ...(rolloutStatus ? { rollout: rolloutStatus } : {}),
  };
}

/** Status of an InferenceService the operator cannot work on at all (invalid spec). */
export function stalledStatus(
  object: { metadata: { generation?: number }; status?: InferenceServiceStatus },
  problem: Problem,
  now: Date,
): InferenceServiceStatus {
  const generation = object.metadata.generation ?? 0;
  const conditions = stalledConditions(conditionFactory(generation, now), [problem]);
  return { ...object.status, observedGeneration: generation, conditions: keepTransitionTimes(conditions, object.status?.conditions) };
}

type ConditionFactory = (type: ConditionType, status: 'True' | 'False', reason: string, message: string) => Condition;

function conditionFactory(generation: number, now: Date): ConditionFactory {
  const lastTransitionTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z'); // metav1.Time has second precision
  return (type, status, reason, message) => ({ type, status, observedGeneration: generation, lastTransitionTime, reason, message });
}

// The first problem names the reason; the message lists them all.
function stalledConditions(condition: ConditionFactory, problems: readonly [Problem, ...Problem[]]): Condition[] {
  const message = problems.map((problem) => problem.message).join(' ');
  const { reason } = problems[0];
  return [condition('Ready', 'False', reason, message), condition('Stalled', 'True', reason, message)];
}

// lastTransitionTime changes only when a condition's status does.
function keepTransitionTimes(next: readonly Condition[], previous: readonly Condition[] | undefined): Condition[] {
  return next.map((condition) => {
    const before = previous?.find((old) => old.type === condition.type);
    return before && before.status === condition.status ? { ...condition, lastTransitionTime: before.lastTransitionTime } : condition;
  });
}

/** The Ready condition of a status, if any. */
export function readyCondition(status: InferenceServiceStatus | undefined): Condition | undefined {
  return status?.conditions?.find((condition) => condition.type === 'Ready');
}
