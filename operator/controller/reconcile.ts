// reconcile(key): read the InferenceService and its children from the caches,
// compute the desired objects, apply only what differs, delete what is no
// longer desired, write status if it changed, and record events for the
// transitions. Level-triggered: it never looks at what triggered it.
import type { InferenceService, InferenceServiceStatus } from '../../api/index.ts';
import { withEffectiveTraffic, type BuildOptions } from '../builders/index.ts';
import type { RolloutDecision } from '../../rollout/machine.ts';
import { canonicalJson } from '../builders/hash.ts';
import { inferenceServiceUrl, routerObjectName, versionObjectName } from '../builders/names.ts';
import { DEFAULT_CLUSTER_DOMAIN } from '../builders/options.ts';
import type { Informer, KubeClient } from '../../kube/client.ts';
import { describeError, type KubeError, type KubeErrorKind } from '../../kube/errors.ts';
import { DeploymentKind, InferenceServiceKind, resourceFor } from '../../kube/resources.ts';
import { inNamespace, parseObjectKey, type KubeObject } from '../../kube/types.ts';
import type { ChildCache } from './cache.ts';
import { credentialsProblem, gpuProblem, kedaProblem, localUriProblem, secretValues, type Problem, type SecretLookup } from './checks.ts';
import { applyReason } from './drift.ts';
import { workloadFinding } from './failures.ts';
import { redact } from './redact.ts';
import type { WorkloadCache } from './workloads.ts';
import { foreignChildren, notOwnedProblem } from './ownership.ts';
import type { EventRecorder } from './events.ts';
import { desiredStatus, readyCondition, stalledStatus } from './status.ts';
import type { PlanCache } from './plans.ts';
import type { FigureWindows } from '../../rollout/windows.ts';
import type { RouterFiguresSource } from './router-figures.ts';
import { decideRollout } from './rollouts.ts';

export interface ReconcileContext {
  readonly client: KubeClient;
  readonly inferenceServices: Informer;
  /** Secrets labelled as storage credentials; any other Secret is invisible to the operator. */
  readonly secrets: Informer;
  readonly children: ChildCache;
  /** ReplicaSets and pods of the owned Deployments, to say why one is not ready. */
  readonly workloads: WorkloadCache;
  /** Whether the API server serves KEDA's ScaledObjects (their informer has listed). */
  readonly kedaServed: () => boolean;
  /** Nodes for GPU checks; undefined when the operator may not list them. */
  readonly nodes: () => readonly KubeObject[] | undefined;
  readonly build: BuildOptions;
  /** Validated specs and desired objects per generation. */
  readonly plans: PlanCache;
  readonly events: EventRecorder;
  readonly log: (event: Record<string, unknown>) => void;
  /** How soon to look again at what no informer watches: a namesake child we do not own. */
  readonly secretRecheckMs: number;
  /** The routers' figures, read for rollout analysis. */
  readonly figures: RouterFiguresSource;
  readonly windows: FigureWindows;
}

export type ReconcileOutcome =
  | { readonly kind: 'done' }
  /** Converged for now, but look again later (something we cannot watch may change). */
  | { readonly kind: 'requeue'; readonly afterMs: number }
  /** Failed; retry with the key's exponential backoff. */
  | { readonly kind: 'retry'; readonly reason: KubeErrorKind | 'Exception'; readonly error: string };

/** A write this reconcile made to a child, for events and logs. */
interface ChildChange {
  readonly verb: 'Created' | 'Updated' | 'Deleted';
  readonly object: KubeObject;
  readonly why?: string;
}

interface ChildFailure {
  readonly object: KubeObject;
  readonly error: KubeError;
}

/** Default wait before looking again at a namesake child we do not own. */
export const SECRET_RECHECK_MS = 30_000;

/** Converges one InferenceService (key `namespace/name`). */
export async function reconcile(context: ReconcileContext, key: string): Promise<ReconcileOutcome> {
  const cached = context.inferenceServices.get(parseObjectKey(key));
  if (!cached || cached.metadata.deletionTimestamp) return { kind: 'done' }; // the garbage collector removes the children
  const { checked, desired } = context.plans.planFor(cached);
  if (!checked.ok) {
    await publishStatus(context, cached, stalledStatus(cached, checked.problem, new Date()), [], []);
    return { kind: 'done' };
  }
  const isvc = checked.value;
  const secret = lookupSecret(context, isvc);
  const keda = kedaProblem(desired, context.kedaServed(), context.build.kedaPrometheusUrl);
  const problems = [localUriProblem(isvc), gpuProblem(isvc, context.nodes()), credentialsProblem(isvc, secret), keda].filter(
    (p): p is Problem => p !== undefined,
  );
  const secretValues = secret?.found ? (secret.values ?? []) : [];
  // A Secret that has not opted in must not be mounted: nothing is applied until it does (its label event brings us back).
  if (problems.some((problem) => problem.reason === 'StorageSecretNotFound'))
    return stallWithoutApplying(context, cached, isvc, problems, secretValues, { kind: 'done' });
  const foreign = await foreignChildren(context.client, context.children, isvc.metadata.uid ?? '', desired);
  if (!foreign.ok) return { kind: 'retry', reason: foreign.error.kind, error: `reading children: ${describeError(foreign.error)}` };
  // Not even the children we could create: a half-built InferenceService next to someone else's Service helps no one.
  // Foreign objects carry none of our labels, so no event says when they go: look again later.
  if (foreign.value.length > 0) {
    return stallWithoutApplying(context, cached, isvc, [...problems, notOwnedProblem(foreign.value)], secretValues, {
      kind: 'requeue',
      afterMs: context.secretRecheckMs,
    });
  }
  const rollout = await decideRollout(context, isvc, new Date());
  const children = rollout.status === undefined ? desired : withEffectiveTraffic(desired, isvc, rollout);
  // A ScaledObject KEDA cannot act on is not written (nor pruned): the Stalled condition says why.
  const applied = await applyChildren(context, keda ? children.filter((object) => object.kind !== 'ScaledObject') : children);
  const pruned = await pruneChildren(context, key, isvc, children);
  const changes = [...applied.changes, ...pruned.changes];
  const failures = [...applied.failures, ...pruned.failures];
  // The apiserver refusing a child (Invalid) will not change on retry: it stalls. Anything else is retried.
  const permanent = failures.filter((failure) => failure.error.kind === 'Invalid');
  const retryable = failures.filter((failure) => failure.error.kind !== 'Invalid');
  const stalled = [...problems, ...permanent.map(rejectionProblem)];
  await publishStatus(context, cached, statusFor(context, isvc, stalled, retryable, rollout, secretValues), changes, failures);
  const [firstRetryable] = retryable;
  if (firstRetryable) return { kind: 'retry', reason: firstRetryable.error.kind, error: retryable.map(describeFailure).join('; ') };
  // Rollout steps and analysis intervals are timed: nothing else would wake this key at the right moment.
  if (rollout.nextCheckMs !== undefined) return { kind: 'requeue', afterMs: rollout.nextCheckMs };
  // Installing KEDA (or restarting the operator with its Prometheus) sends no event about this object.
  return keda ? { kind: 'requeue', afterMs: context.secretRecheckMs } : { kind: 'done' };
}

async function stallWithoutApplying(
  context: ReconcileContext,
  cached: KubeObject,
  isvc: InferenceService,
  problems: readonly Problem[],
  secretValues: readonly string[],
  outcome: ReconcileOutcome,
): Promise<ReconcileOutcome> {
  await publishStatus(context, cached, statusFor(context, isvc, problems, [], undefined, secretValues), [], []);
  return outcome;
}

/** The opted-in Secret named by spec.storage.secretRef, from the label-selected cache. */
function lookupSecret(context: ReconcileContext, isvc: InferenceService): SecretLookup | undefined {
  const name = isvc.spec.storage?.secretRef?.name;
  if (!name) return undefined;
  const secret = context.secrets.get({ namespace: isvc.metadata.namespace, name });
  if (!secret) return { found: false };
  const data = (secret.data as Record<string, string> | undefined) ?? {};
  const stringData = (secret.stringData as Record<string, string> | undefined) ?? {};
  const entries = [
    ...Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()] as const),
    ...Object.entries(stringData),
  ];
  return { found: true, keys: entries.map(([key]) => key), values: secretValues(entries) };
}

async function applyChildren(
  context: ReconcileContext,
  desired: readonly KubeObject[],
): Promise<{ changes: ChildChange[]; failures: ChildFailure[] }> {
  const changes: ChildChange[] = [];
  const failures: ChildFailure[] = [];
  await Promise.all(
    desired.map(async (object, index) => {
      const resource = resourceFor(object.apiVersion, object.kind);
      if (!resource) throw new Error(`builders produced an unknown kind ${object.apiVersion} ${object.kind}`);
      const live = context.children.get(resource, object.metadata);
      const reason = applyReason(object, live);
      if (!reason) return;
      const result = await context.client.apply(object);
      if (!result.ok) {
        failures.push({ object, error: result.error });
        return;
      }
      context.children.remember(result.value);
      const why = reason === 'drifted' ? 'restored fields changed outside the operator' : reason === 'changed' ? 'spec changed' : undefined;
      changes[index] = { verb: reason === 'missing' ? 'Created' : 'Updated', object, ...(why === undefined ? {} : { why }) }; // desired order, not completion order
    }),
  );
  return { changes: changes.filter(Boolean), failures };
}

async function pruneChildren(
  context: ReconcileContext,
  key: string,
  isvc: InferenceService,
  desired: readonly KubeObject[],
): Promise<{ changes: ChildChange[]; failures: ChildFailure[] }> {
  const wanted = new Set(desired.map((object) => `${object.kind}/${object.metadata.name}`));
  const stale = context.children
    .owned(key, isvc.metadata.uid ?? '')
    .filter(({ object }) => !wanted.has(`${object.kind}/${object.metadata.name}`));
  const changes: ChildChange[] = [];
  const failures: ChildFailure[] = [];
  await Promise.all(
    stale.map(async ({ resource, object }) => {
      const deleted = await context.client.delete(resource, object.metadata, { uid: object.metadata.uid });
      context.children.forget(resource, object.metadata);
      if (deleted.ok || deleted.error.kind === 'NotFound') changes.push({ verb: 'Deleted', object, why: 'no longer in the spec' });
      else failures.push({ object, error: deleted.error });
    }),
  );
  return { changes, failures };
}

function rejectionProblem(failure: ChildFailure): Problem {
  return {
    reason: 'ApplyRejected',
    message: `the API server rejected ${failure.object.kind} ${failure.object.metadata.name}: ${failure.error.message}`,
  };
}

function describeFailure(failure: ChildFailure): string {
  return `${failure.object.kind} ${failure.object.metadata.name}: ${describeError(failure.error)}`;
}

function statusFor(
  context: ReconcileContext,
  isvc: InferenceService,
  problems: readonly Problem[],
  transient: readonly ChildFailure[],
  rollout: RolloutDecision | undefined,
  secretValues: readonly string[],
): InferenceServiceStatus {
  const name = isvc.metadata.name ?? '';
  const namespace = isvc.metadata.namespace ?? 'default';
  const scrub = (text: string) => redact(text, secretValues);
  return desiredStatus(isvc, {
    deployment: (deployment) => context.children.get(DeploymentKind, { namespace, name: deployment }),
    diagnose: (deployment) => workloadFinding(deployment, deployment ? context.workloads.of(deployment) : { pods: [] }, scrub),
    versionDeploymentName: (version) => versionObjectName(name, version),
    routerDeploymentName: routerObjectName(name),
    url: inferenceServiceUrl(name, namespace, context.build.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN),
    problems,
    transientFailure: transient.length > 0 ? `retrying after: ${transient.map(describeFailure).join('; ')}` : undefined,
    rollout,
    now: new Date(),
  });
}

/** Writes status when it differs from what the object carries, then records the transitions as events. */
async function publishStatus(
  context: ReconcileContext,
  subject: KubeObject,
  status: InferenceServiceStatus,
  changes: readonly ChildChange[],
  failures: readonly ChildFailure[],
): Promise<void> {
  const before = subject.status as InferenceServiceStatus | undefined;
  if (canonicalJson(status) !== canonicalJson(before ?? {})) {
    const { name, namespace } = subject.metadata;
    const written = await context.client.apply(
      {
        apiVersion: InferenceServiceKind.apiVersion,
        kind: InferenceServiceKind.kind,
        metadata: { name, ...inNamespace(namespace) },
        status,
      },
      { subresource: 'status' },
    );
    if (!written.ok && written.error.kind !== 'NotFound')
      context.log({ msg: 'status not written', key: `${namespace}/${name}`, error: describeError(written.error) });
  }
  await recordEvents(context, subject, before, status, changes, failures);
}

async function recordEvents(
  context: ReconcileContext,
  subject: KubeObject,
  before: InferenceServiceStatus | undefined,
  after: InferenceServiceStatus,
  changes: readonly ChildChange[],
  failures: readonly ChildFailure[],
): Promise<void> {
  const records: Promise<void>[] = [];
  // One event per verb and reason, listing the objects: creating an InferenceService is one event, not ten.
  const groups = Map.groupBy(changes, (change) => `${change.verb}\u0000${change.why ?? ''}`);
  for (const group of groups.values()) {
    const [first] = group;
    if (!first) continue; // groupBy never yields an empty group
    const { verb, why } = first;
    const what = group.map((change) => `${change.object.kind} ${change.object.metadata.name}`).join(', ');
    records.push(context.events.record(subject, 'Normal', verb, why ? `${verb} ${what}: ${why}` : `${verb} ${what}`));
  }
  for (const failure of failures) records.push(context.events.record(subject, 'Warning', 'ApplyFailed', describeFailure(failure)));
  const wasReady = readyCondition(before);
  const ready = readyCondition(after);
  if (ready?.status === 'True' && wasReady?.status !== 'True')
    records.push(context.events.record(subject, 'Normal', 'Ready', ready.message));
  const step = after.rollout;
  const stepBefore = before?.rollout;
  // An abort is reported once, as the Stalled warning below; every other phase or step change is a Normal event.
  if (
    step &&
    step.phase !== 'Aborted' &&
    (step.phase !== stepBefore?.phase || step.step !== stepBefore.step || step.target !== stepBefore.target)
  ) {
    records.push(context.events.record(subject, 'Normal', `Rollout${step.phase}`, step.message));
  }
  for (const warning of stallWarnings(before, after))
    records.push(context.events.record(subject, 'Warning', warning.reason, warning.message));
  await Promise.all(records);
}

/**
 * One Warning per transition: a version whose failure reason changed, and a Stalled condition whose
 * reason changed (or, for problems not tied to a version, whose message did). A version's message
 * alone changes with every crash-loop attempt or image back-off; that is status, not news.
 */
function stallWarnings(before: InferenceServiceStatus | undefined, after: InferenceServiceStatus): Problem[] {
  const warnings: Problem[] = [];
  for (const version of after.versions ?? []) {
    const previous = before?.versions?.find((entry) => entry.name === version.name);
    if (version.reason && version.reason !== 'Progressing' && version.reason !== previous?.reason) {
      warnings.push({ reason: version.reason, message: `version ${version.name}: ${version.message ?? ''}` });
    }
  }
  const stalled = after.conditions?.find((condition) => condition.type === 'Stalled');
  const wasStalled = before?.conditions?.find((condition) => condition.type === 'Stalled');
  if (!stalled || warnings.some((warning) => warning.reason === stalled.reason)) return warnings;
  const fromWorkload =
    (after.versions ?? []).some((version) => version.reason === stalled.reason) || stalled.message.startsWith('router: ');
  const changed = wasStalled?.reason !== stalled.reason || (!fromWorkload && wasStalled.message !== stalled.message);
  return changed ? [...warnings, { reason: stalled.reason, message: stalled.message }] : warnings;
}
