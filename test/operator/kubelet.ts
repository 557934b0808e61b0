// A node that neither kwok nor a kubelet runs: the test plays its kubelet and
// writes pod status through the same status subresource a kubelet writes. Why
// not kwok's Stage API: stages play fixed state machines chosen by pod fields,
// and the states checked here are the kubelet's own words for a failure (a
// fetch error's termination message, an image the node does not have), which
// a test states best by writing them. The real kubelet plays them in the
// real-node tests.
import assert from 'node:assert/strict';
import type { KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { PodKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { eventually } from './harness.ts';

export const KUBELET_NODE = 'kubelet-0';
const TAINT = { key: 'kubeinfer.test/played-kubelet', value: 'true', effect: 'NoSchedule' };

/** spec.scheduling that puts a version's pods on the played node (and nothing else does). */
export const ON_PLAYED_NODE = {
  nodeSelector: { 'kubernetes.io/hostname': KUBELET_NODE },
  tolerations: [{ key: TAINT.key, operator: 'Exists', effect: TAINT.effect }],
};

/** How often the played kubelet renews its node Lease (the kubelet's default is 10 s). */
const HEARTBEAT_MS = 10_000;

/**
 * Registers the node the way a kubelet does (status included), Ready, without kwok's annotation,
 * and keeps its Lease renewed so the node lifecycle controller never marks it unreachable.
 * Returns the function that stops the heartbeat.
 */
export async function registerPlayedNode(cp: ControlPlane, admin: KubeClient): Promise<() => void> {
  const resources = { cpu: '8', memory: '32Gi', pods: '110' };
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: KUBELET_NODE, labels: { 'kubernetes.io/hostname': KUBELET_NODE, 'kubernetes.io/os': 'linux' } },
    spec: { taints: [TAINT] },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    },
  };
  const created = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(node) });
  assert.equal(created.code, 0, created.stderr);
  const renew = () =>
    admin.apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: KUBELET_NODE, namespace: 'kube-node-lease' },
      spec: { holderIdentity: KUBELET_NODE, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') },
    });
  const renewed = await renew();
  assert.ok(renewed.ok, renewed.ok ? '' : describeError(renewed.error));
  const heartbeat = setInterval(() => void renew(), HEARTBEAT_MS);
  return () => clearInterval(heartbeat);
}

/** The version's pod once the scheduler has bound it to the played node. */
export async function boundPod(admin: KubeClient, namespace: string, isvc: string): Promise<KubeObject> {
  return eventually(async () => {
    const listed = await admin.list(PodKind, {
      namespace,
      labelSelector: `serving.kubeinfer.io/inferenceservice=${isvc},serving.kubeinfer.io/component=model`,
    });
    if (!listed.ok) throw new Error(describeError(listed.error));
    return listed.value.items.find((pod) => (pod.spec as { nodeName?: string }).nodeName === KUBELET_NODE);
  }, `a pod of ${isvc} bound to ${KUBELET_NODE}`);
}

/** Writes pod status as the kubelet would (a merge patch on the status subresource). */
export async function kubeletWrites(cp: ControlPlane, pod: KubeObject, status: object): Promise<void> {
  const patched = await cp.kubectl([
    'patch',
    'pod',
    pod.metadata.name,
    '-n',
    pod.metadata.namespace ?? '',
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
  assert.equal(patched.code, 0, patched.stderr);
}

const now = () => new Date().toISOString();
const condition = (type: string, ready: boolean, reason?: string) => ({
  type,
  status: ready ? 'True' : 'False',
  lastTransitionTime: now(),
  ...(reason ? { reason } : {}),
});
const container = (name: string, image: string, fields: object) => ({
  name,
  image,
  imageID: '',
  ready: false,
  restartCount: 0,
  started: false,
  ...fields,
});

/** A pod whose init container cannot run or finish: `fetchModel` is its container state. */
export function initFailing(image: string, fetchModel: object): object {
  return {
    phase: 'Pending',
    hostIP: '10.0.0.9',
    startTime: now(),
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', false, 'ContainersNotInitialized'),
      condition('ContainersReady', false, 'ContainersNotReady'),
      condition('Ready', false, 'ContainersNotReady'),
    ],
    initContainerStatuses: [container('fetch-model', image, fetchModel)],
    containerStatuses: [container('runtime', image, { state: { waiting: { reason: 'PodInitializing' } } })],
  };
}

/** fetch-model failed `attempts` times with `message` in its termination log, and waits to be restarted. */
export function fetchCrashLooping(image: string, message: string, attempts: number): object {
  return initFailing(image, {
    restartCount: attempts - 1,
    state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 20s restarting failed container=fetch-model` } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', message, startedAt: now(), finishedAt: now() } },
  });
}

/** The model was fetched; the server container is in `runtime` state, ready or not. */
export function runtimeState(image: string, runtime: object, ready: boolean): object {
  return {
    phase: 'Running',
    hostIP: '10.0.0.9',
    podIP: '10.244.9.9',
    startTime: now(),
    conditions: [
      condition('PodScheduled', true),
      condition('Initialized', true),
      condition('ContainersReady', ready),
      condition('Ready', ready),
    ],
    initContainerStatuses: [
      container('fetch-model', image, { state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now(), finishedAt: now() } } }),
    ],
    containerStatuses: [container('runtime', image, { ready, started: ready, ...runtime })],
  };
}
