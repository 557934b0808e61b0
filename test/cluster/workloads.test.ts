// The controllers are the real ones: Deployments roll out through ReplicaSets to Pods that
// the scheduler binds to kwok nodes and kwok runs; GPU placement follows node labels,
// capacity and taints; the garbage collector removes dependents. One control plane for the file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { V1Deployment, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { eventually } from '../../tools/cluster/eventually.ts';
import { DEFAULT_NODES, GPU_TAINT, startControlPlane } from '../../tools/cluster/index.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';

const CPU_NODES = DEFAULT_NODES.filter((node) => !node.gpus).map((node) => node.name);

function container(resources: Record<string, string> = { cpu: '100m', memory: '64Mi' }): V1PodSpec['containers'][number] {
  return { name: 'main', image: 'registry.example/kubeinfer-runtime:test', resources: { requests: resources, limits: resources } };
}

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container()] } } },
  };
}

function gpuPod(name: string, product: string, gpus: number): V1Pod {
  return {
    metadata: { name },
    spec: {
      containers: [container({ cpu: '1', memory: '1Gi', 'nvidia.com/gpu': String(gpus) })],
      nodeSelector: { 'nvidia.com/gpu.product': product },
      tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
    },
  };
}

function runningAndReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && Boolean(pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

describe('controller-manager + scheduler + kwok', () => {
  let cp: ControlPlane;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  before(async () => {
    cp = await startControlPlane({ controllerManager: true, scheduler: true, kwok: true });
    apps = cp.kubeConfig().makeApiClient(AppsV1Api);
    core = cp.kubeConfig().makeApiClient(CoreV1Api);
  });
  after(() => cp?.stop());

  async function namespace(name: string): Promise<string> {
    await core.createNamespace({ body: { metadata: { name } } });
    // Pods are admitted only once the controller-manager has created the namespace's default ServiceAccount.
    await eventually(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }), `ServiceAccount ${name}/default`);
    return name;
  }

  async function runningPods(ns: string, app: string, count: number): Promise<V1Pod[]> {
    return eventually(async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
      return pods.length === count && pods.every(runningAndReady) ? pods : undefined;
    }, `${count} running pods of ${app}`);
  }

  it('rolls a Deployment out to a ReplicaSet and Pods that run on kwok CPU nodes', async () => {
    const ns = await namespace('rollout');
    const created = await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 3) });

    const rs = await eventually(
      async () => (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' })).items[0],
      'a ReplicaSet',
    );
    assert.equal(rs.metadata?.ownerReferences?.[0]?.kind, 'Deployment');
    assert.equal(rs.metadata?.ownerReferences?.[0]?.uid, created.metadata?.uid);

    const pods = await runningPods(ns, 'web', 3);
    for (const pod of pods) {
      assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, rs.metadata?.uid);
      // GPU nodes are tainted, so a plain pod can only land on a CPU node.
      assert.ok(CPU_NODES.includes(pod.spec?.nodeName ?? ''), `${pod.metadata?.name} on ${pod.spec?.nodeName}`);
      assert.match(pod.status?.podIP ?? '', /^10\.244\./);
    }
    const rolledOut = await eventually(async () => {
      const current = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return current.status?.readyReplicas === 3 ? current : undefined;
    }, 'the Deployment to report 3 ready replicas');
    assert.equal(rolledOut.status?.availableReplicas, 3);
  });

  it('places a GPU pod only on a node of the requested product, and only while it has free GPUs', async () => {
    const ns = await namespace('gpu');
    await core.createNamespacedPod({ namespace: ns, body: gpuPod('t4-first', 'Tesla-T4', 1) });
    await core.createNamespacedPod({ namespace: ns, body: gpuPod('a100', 'NVIDIA-A100-SXM4-80GB', 2) });
    const placed = async (name: string) =>
      eventually(async () => {
        const pod = await core.readNamespacedPod({ name, namespace: ns });
        return runningAndReady(pod) ? pod : undefined;
      }, `${name} running`);
    assert.equal((await placed('t4-first')).spec?.nodeName, 'gpu-t4-0');
    assert.equal((await placed('a100')).spec?.nodeName, 'gpu-a100-0');

    // The only T4 is taken; the A100 node still has 2 free GPUs, but the wrong product.
    await core.createNamespacedPod({ namespace: ns, body: gpuPod('t4-second', 'Tesla-T4', 1) });
    const pending = await eventually(async () => {
      const pod = await core.readNamespacedPod({ name: 't4-second', namespace: ns });
      return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ? pod : undefined;
    }, 't4-second to be reported unschedulable');
    assert.equal(pending.spec?.nodeName, undefined);
    assert.equal(pending.status?.phase, 'Pending');
    const message = pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '';
    assert.match(message, /Insufficient nvidia\.com\/gpu/);
    assert.match(message, /didn't match Pod's node affinity\/selector/);
  });

  it('garbage-collects the ReplicaSet and Pods of a deleted Deployment', async () => {
    const ns = await namespace('gc');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('doomed', 2) });
    await runningPods(ns, 'doomed', 2);

    await apps.deleteNamespacedDeployment({ name: 'doomed', namespace: ns, body: { propagationPolicy: 'Background' } });
    await eventually(
      async () => (await apps.listNamespacedReplicaSet({ namespace: ns })).items.length === 0 || undefined,
      'the ReplicaSet to be collected',
    );
    await eventually(
      async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0 || undefined,
      'the Pods to be collected',
    );
  });
});
