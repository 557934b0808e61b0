// Status tells why a version fails, on a real control plane (apiserver,
// controller-manager, scheduler, kwok nodes): pods the apiserver refuses
// (a missing PriorityClass, a ResourceQuota), pods no node fits (CPU, GPU
// count, MIG profile). Each turns Stalled within 30 s of apply, quoting the
// cause, and becomes Ready again once the cause is removed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { InferenceService, VersionStatus } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { EventKind, InferenceServiceKind } from '../../kube/resources.ts';
import { assetPath } from '../../tools/cluster/assets.ts';
import { runHealthScript } from '../ship/lua.ts';
import { applyAsUser, createNamespace, eventually, inferenceService, operatorCluster, read, waitReady } from './harness.ts';

/** The promise: a failure shows within 30 s of apply. */
const STALL_WITHIN_MS = 30_000;

describe('status reports why versions fail', () => {
  const cluster = operatorCluster();
  const admin = (): KubeClient => cluster.admin;

  /** The InferenceService once Stalled=True with this reason for its current generation. */
  async function waitStalled(
    namespace: string,
    name: string,
    reason: string,
  ): Promise<{ message: string; versions: readonly VersionStatus[] }> {
    return eventually(
      async () => {
        const isvc = (await read(admin(), InferenceServiceKind, namespace, name)) as unknown as InferenceService | undefined;
        const stalled = isvc?.status?.conditions?.find((condition) => condition.type === 'Stalled');
        const current = isvc?.status?.observedGeneration === isvc?.metadata.generation;
        return current && stalled?.status === 'True' && stalled.reason === reason
          ? { message: stalled.message, versions: isvc?.status?.versions ?? [] }
          : undefined;
      },
      `Stalled=${reason} on ${namespace}/${name}`,
      STALL_WITHIN_MS,
    );
  }

  async function warnings(namespace: string, name: string, reason: string): Promise<string[]> {
    const listed = await admin().list(EventKind, {
      namespace,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=InferenceService,reason=${reason}`,
    });
    assert.ok(listed.ok);
    return listed.value.items.map((event) => event.message as string);
  }

  async function kubectl(args: readonly string[], input?: string): Promise<string> {
    const result = await cluster.cp.kubectl(args, input === undefined ? undefined : { input });
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  it('examples/gpu.yaml: PodsForbidden for the missing PriorityClass, Unschedulable for the node pool, then Ready', async () => {
    const ns = await createNamespace(cluster.cp, 'gpu-example');
    await kubectl(['apply', '-n', ns, '-f', 'examples/gpu.yaml']);
    const forbidden = await waitStalled(ns, 'resnet', 'PodsForbidden');
    assert.match(
      forbidden.message,
      /version v2-7: pods cannot be created .*no PriorityClass with name inference-high was found.*create PriorityClass inference-high/,
    );
    assert.equal(forbidden.versions[0]?.reason, 'PodsForbidden');
    const shown = await cluster.cp.kubectl(['wait', '--for=condition=Stalled', '--timeout=5s', '-n', ns, 'inferenceservice/resnet']);
    assert.equal(shown.code, 0, 'kubectl wait sees the failure at once instead of timing out on Ready');

    await kubectl(['create', 'priorityclass', 'inference-high', '--value=1000']);
    const unschedulable = await waitStalled(ns, 'resnet', 'Unschedulable');
    assert.match(unschedulable.message, /cannot be scheduled: 0\/4 nodes are available: .*node affinity\/selector/);

    await kubectl(['label', 'node', 'gpu-a100-0', 'node-pool=inference']);
    await waitReady(admin(), ns, 'resnet');
    assert.deepEqual(
      await warnings(ns, 'resnet', 'PodsForbidden').then((messages) => messages.length),
      1,
      'one Event per transition, not one per pod the ReplicaSet retries',
    );
    await kubectl(['label', 'node', 'gpu-a100-0', 'node-pool-']);
  });

  it('a ResourceQuota that refuses the pods, until it is raised', async () => {
    const ns = await createNamespace(cluster.cp, 'quota');
    await kubectl(['create', 'quota', 'compute', '-n', ns, '--hard=requests.cpu=15m']);
    await eventually(
      async () => ((await kubectl(['get', 'quota', 'compute', '-n', ns, '-o', 'jsonpath={.status.hard}'])) ? true : undefined),
      'quota status',
    );
    await applyAsUser(
      admin(),
      inferenceService(ns, 'fraud', [{ name: 'v1' }], { resources: { requests: { cpu: '20m', memory: '16Mi' } } }),
    );
    // The router's pods are refused too, and either refusal may be reported first.
    const stalled = await eventually(async () => {
      const seen = await waitStalled(ns, 'fraud', 'PodsForbidden');
      return seen.versions[0]?.reason === 'PodsForbidden' ? seen : undefined;
    }, 'version v1 refused by the quota');
    assert.match(stalled.message, /version v1: .*exceeded quota: compute, requested: requests\.cpu=20m.*raise ResourceQuota compute/);
    assert.match(stalled.message, /router: .*exceeded quota: compute, requested: requests\.cpu=100m/);

    await kubectl(['patch', 'quota', 'compute', '-n', ns, '--type=merge', '-p', '{"spec":{"hard":{"requests.cpu":"2"}}}']);
    await waitReady(admin(), ns, 'fraud', 60_000);
  });

  it("a LimitRange minimum the pods fall short of, until it is lowered; Pod Security 'restricted' admits them", async () => {
    const ns = await createNamespace(cluster.cp, 'limits');
    await kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    const limits = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'floor', namespace: ns },
      spec: { limits: [{ type: 'Container', min: { cpu: '50m' } }] },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(limits));
    await applyAsUser(admin(), inferenceService(ns, 'small', [{ name: 'v1' }]));
    const stalled = await waitStalled(ns, 'small', 'PodsForbidden');
    assert.match(stalled.message, /version v1: .*minimum cpu usage per Container is 50m, but request is 10m.*LimitRange/);

    await kubectl(['apply', '-f', '-'], JSON.stringify({ ...limits, spec: { limits: [{ type: 'Container', min: { cpu: '5m' } }] } }));
    await waitReady(admin(), ns, 'small', 60_000);
  });

  it("a CPU request no node has: the scheduler's message, until it is lowered", async () => {
    const ns = await createNamespace(cluster.cp, 'cpu');
    const isvc = inferenceService(ns, 'big', [{ name: 'v1' }], { resources: { requests: { cpu: '64', memory: '16Mi' } } });
    await applyAsUser(admin(), isvc);
    const stalled = await waitStalled(ns, 'big', 'Unschedulable');
    assert.match(stalled.message, /version v1: pod big-v1-\S+ cannot be scheduled: 0\/4 nodes are available: .*Insufficient cpu/);
    assert.equal(stalled.versions[0]?.reason, 'Unschedulable');
    const printed = await kubectl(['get', 'inferenceservice', 'big', '-n', ns, '-o', 'jsonpath={.status.versions[0].message}']);
    assert.match(printed, /Insufficient cpu/);

    await applyAsUser(admin(), inferenceService(ns, 'big', [{ name: 'v1' }]));
    const ready = await waitReady(admin(), ns, 'big');
    assert.equal(ready.status?.versions?.[0]?.reason, undefined, 'a ready version carries no reason');
  });

  it('a GPU count no node has, and a MIG profile no node offers, until the spec or the nodes change', async () => {
    const ns = await createNamespace(cluster.cp, 'gpus');
    await applyAsUser(admin(), inferenceService(ns, 'count', [{ name: 'v1' }], { gpu: { count: 8 } }));
    const many = await waitStalled(ns, 'count', 'GPUUnavailable');
    assert.match(many.message, /8x nvidia\.com\/gpu/);
    await eventually(async () => {
      const version = (await waitStalled(ns, 'count', 'GPUUnavailable')).versions[0];
      return version?.reason === 'Unschedulable' && /Insufficient nvidia\.com\/gpu/.test(version.message ?? '') ? true : undefined;
    }, "the scheduler's verdict on version v1");
    await applyAsUser(admin(), inferenceService(ns, 'count', [{ name: 'v1' }], { gpu: { count: 1 } }));
    await waitReady(admin(), ns, 'count');

    await applyAsUser(admin(), inferenceService(ns, 'mig', [{ name: 'v1' }], { gpu: { mig: '1g.10gb' } }));
    const mig = await waitStalled(ns, 'mig', 'GPUUnavailable');
    assert.match(mig.message, /nvidia\.com\/mig-1g\.10gb/);
    await eventually(
      async () =>
        (await waitStalled(ns, 'mig', 'GPUUnavailable')).versions[0]?.message?.includes('Insufficient nvidia.com/mig-1g.10gb')
          ? true
          : undefined,
      'the scheduler on MIG',
    );
    // What the NVIDIA device plugin does once an A100 is partitioned: advertise the slices.
    const slices = JSON.stringify({
      status: { capacity: { 'nvidia.com/mig-1g.10gb': '7' }, allocatable: { 'nvidia.com/mig-1g.10gb': '7' } },
    });
    await kubectl(['patch', 'node', 'gpu-a100-0', '--subresource=status', '--type=merge', '-p', slices]);
    await waitReady(admin(), ns, 'mig');
  });

  it('kstatus (as Helm 4 --wait and Flux compute it) and the Argo CD health check read the failure at once, and the recovery', async () => {
    const ns = await createNamespace(cluster.cp, 'gitops');
    await applyAsUser(admin(), inferenceService(ns, 'pc', [{ name: 'v1' }], { scheduling: { priorityClassName: 'standby' } }));
    await waitStalled(ns, 'pc', 'PodsForbidden');
    const live = JSON.parse(await kubectl(['get', 'inferenceservice', 'pc', '-n', ns, '-o', 'json']));
    const verdict = await kstatus(live);
    assert.equal(verdict.status, 'Failed');
    assert.match(verdict.message, /no PriorityClass with name standby was found/);
    const health = runHealthScript(await readFile('gitops/argocd/serving.kubeinfer.io/InferenceService/health.lua', 'utf8'), live);
    assert.ok(health.ok);
    assert.equal(health.value.status, 'Degraded');
    assert.match(health.value.message, /^PodsForbidden: version v1: pods cannot be created .*no PriorityClass with name standby was found/);

    await kubectl(['create', 'priorityclass', 'standby', '--value=10']);
    await waitReady(admin(), ns, 'pc');
    assert.equal((await kstatus(JSON.parse(await kubectl(['get', 'inferenceservice', 'pc', '-n', ns, '-o', 'json'])))).status, 'Current');
  });
});

/** kstatus's verdict on one object, from sigs.k8s.io/cli-utils' status.Compute (the kstatus asset). */
async function kstatus(object: unknown): Promise<{ status: string; message: string }> {
  const child = spawn(await assetPath('kstatus'), [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(object));
  const [code] = await once(child, 'close');
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}
