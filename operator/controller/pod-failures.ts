// Why one pod of a version is not serving, read from the pod's status the way a
// person reads `kubectl describe pod`: the scheduler's verdict, then the init
// container that fetches the model, then the containers. Pure: the caller
// passes the pod and a redactor for anything copied out of it.
import { FETCH_CONTAINER_PREFIX, FETCH_MODEL_CONTAINER } from '../builders/model-source.ts';
import { RUNTIME_CONTAINER } from '../builders/pod.ts';
import type { KubeObject } from '../../kube/types.ts';

/** A classified reason a version is not ready; `stalled` when it will not fix itself. */
export interface Finding {
  readonly reason: string;
  readonly message: string;
  readonly stalled: boolean;
}

interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: object;
  readonly terminated?: { readonly exitCode?: number; readonly reason?: string; readonly message?: string };
}

interface ContainerStatus {
  readonly name: string;
  readonly image?: string;
  readonly ready?: boolean;
  readonly restartCount?: number;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
}

interface PodShape {
  readonly metadata: { readonly name: string };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly {
      readonly type: string;
      readonly status: string;
      readonly reason?: string;
      readonly message?: string;
    }[];
    readonly initContainerStatuses?: readonly ContainerStatus[];
    readonly containerStatuses?: readonly ContainerStatus[];
  };
}

/** Waiting reasons the kubelet gives when it cannot get the image; none clears without a change. */
const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);
/** Waiting reasons for a container the kubelet cannot create from its spec. */
const CREATE_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

type Redact = (text: string) => string;

/** The first thing that keeps this pod from serving, or undefined when it is serving or simply starting. */
export function podFinding(object: KubeObject, redact: Redact): Finding | undefined {
  const pod = object as unknown as PodShape;
  const name = pod.metadata.name;
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unschedulable) {
    return {
      reason: 'Unschedulable',
      stalled: true,
      message: `pod ${name} cannot be scheduled: ${redact(unschedulable.message ?? 'no node fits')}. Add nodes that fit, or change spec.resources, spec.gpu or spec.scheduling.`,
    };
  }
  for (const status of pod.status?.initContainerStatuses ?? []) {
    const finding = containerFinding(name, status, true, redact);
    if (finding) return finding;
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const finding = containerFinding(name, status, false, redact);
    if (finding) return finding;
  }
  return undefined;
}

function containerFinding(pod: string, status: ContainerStatus, init: boolean, redact: Redact): Finding | undefined {
  const where = `pod ${pod}, ${init ? 'init container' : 'container'} ${status.name}`;
  const waiting = status.state?.waiting;
  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return {
      reason: 'ImagePullFailed',
      stalled: true,
      message: `image ${status.image ?? ''} cannot be pulled (${where}): ${waiting.reason}${waiting.message ? `: ${redact(waiting.message)}` : ''}. Check the operator's --runtime-image, its pull policy and imagePullSecrets.`,
    };
  }
  if (waiting?.reason && CREATE_REASONS.has(waiting.reason)) {
    return {
      reason: 'ContainerCreateFailed',
      stalled: true,
      message: `${where} cannot start: ${waiting.reason}${waiting.message ? `: ${redact(waiting.message)}` : ''}.`,
    };
  }
  const failed = failedRun(status);
  if (!failed) return undefined;
  const attempts = (status.restartCount ?? 0) + (status.state?.running ? 0 : 1);
  const said = failed.message ? redact(failed.message) : exitDescription(failed);
  const tried = `${where}, ${attempts} failed attempt${attempts === 1 ? '' : 's'}`;
  if (init && status.name.startsWith(FETCH_CONTAINER_PREFIX)) {
    // fetch-model itself, or the labels and pipeline steps fetched beside it.
    const what = status.name === FETCH_MODEL_CONTAINER ? 'the model' : `an artifact of the model (${status.name})`;
    return {
      reason: 'ModelFetchFailed',
      stalled: true,
      message: `${what} cannot be fetched (${tried}): ${said}. Check the URIs under spec.versions[].model and spec.storage.secretRef.`,
    };
  }
  if (status.name === RUNTIME_CONTAINER) {
    const cause =
      failed.reason === 'OOMKilled'
        ? `out of memory: ${said}. Raise spec.resources.limits.memory`
        : `${said}. Check that the model is a valid ONNX file for spec.runtime.executionProvider`;
    return { reason: 'ModelLoadFailed', stalled: true, message: `the model server exits (${tried}): ${cause}.` };
  }
  return { reason: 'ContainerFailing', stalled: true, message: `${tried}: ${said}.` };
}

/**
 * The failed run of a container: its current state when it just ended, else the one before a restart.
 * A clean exit counts too while the kubelet backs off restarting it: `serve` drains and exits 0 on the
 * SIGTERM that a failed liveness or startup probe sends.
 */
function failedRun(status: ContainerStatus): ContainerState['terminated'] | undefined {
  const backingOff = status.state?.waiting?.reason === 'CrashLoopBackOff';
  const failed = (state: ContainerState | undefined) =>
    state?.terminated && ((state.terminated.exitCode ?? 0) !== 0 || backingOff) ? state.terminated : undefined;
  // A container that runs again and is ready, or an init container that completed, has recovered;
  // one still crash-looping or not ready has not.
  if ((status.state?.running && status.ready) || status.state?.terminated?.exitCode === 0) return undefined;
  return failed(status.state) ?? failed(status.lastState);
}

function exitDescription(run: NonNullable<ContainerState['terminated']>): string {
  if (run.exitCode === 0)
    return 'it was stopped and restarted although it exited cleanly: its startup or liveness probe failed (kubectl describe pod shows the probe)';
  return `exit code ${run.exitCode ?? '?'}${run.reason ? ` (${run.reason})` : ''}`;
}

/** What a pod without a failure is doing, for a Reconciling message. */
export function podProgress(object: KubeObject): string {
  const pod = object as unknown as PodShape;
  if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return `pod ${pod.metadata.name} is ready`;
  const fetching = pod.status?.initContainerStatuses?.find((s) => s.name === FETCH_MODEL_CONTAINER && !s.state?.terminated);
  if (fetching?.state?.running) return `pod ${pod.metadata.name} is fetching the model`;
  const runtime = pod.status?.containerStatuses?.find((s) => s.name === RUNTIME_CONTAINER);
  if (runtime?.state?.running && !runtime.ready) return `pod ${pod.metadata.name} is loading the model (not ready yet)`;
  const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find(
    (s) => s.state?.waiting?.reason,
  );
  return `pod ${pod.metadata.name} is ${waiting?.state?.waiting?.reason ?? pod.status?.phase ?? 'Pending'}`;
}
