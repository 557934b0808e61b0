// Waiting for components to be usable, failing fast (with the component's log) when one
// exits instead.
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeNode } from './nodes.ts';
import { nodeTaints } from './nodes.ts';
import { getJson, rest } from './rest.ts';
import type { RestTarget } from './rest.ts';
import type { Component } from './processes.ts';
import { logTail } from './processes.ts';

/** Polls `check` until it holds; throws with the watched components' log tails if one exits or time runs out. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  watched: readonly Component[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const dead = watched.find((component) => !component.running());
    if (dead) {
      const status = await dead.exited;
      throw new Error(`${dead.name} exited (code ${status.code}, signal ${status.signal}) while waiting for ${what}\n${tails([dead])}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${tails(watched)}`);
    await sleep(delay);
  }
}

function tails(components: readonly Component[]): string {
  return components.map((c) => `--- last lines of ${c.logPath}:\n${logTail(c.logPath) || '(empty)'}`).join('\n');
}

/** etcd answers /health with {"health":"true"}. */
export function etcdHealthy(clientPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: clientPort, path: '/health', agent: false, timeout: 2_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The apiserver's /readyz passes (all post-start hooks done, RBAC bootstrap roles in place). */
export async function apiserverReady(target: RestTarget): Promise<boolean> {
  return (await rest(target, 'GET', '/readyz')).status === 200;
}

/** The controller-manager's service-account controller has created `default` in `default`: pods can now be admitted. */
export async function defaultServiceAccountExists(target: RestTarget): Promise<boolean> {
  return (await rest(target, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
}

/** A component holds its leader-election lease in kube-system, i.e. its loops are running. */
export async function leaseHeld(target: RestTarget, name: string): Promise<boolean> {
  const lease = await getJson<{ spec?: { holderIdentity?: string } }>(
    target,
    `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`,
  );
  return Boolean(lease?.spec?.holderIdentity);
}

interface NodeStatus {
  readonly metadata: { readonly name: string };
  readonly spec?: { readonly taints?: readonly { key: string }[] };
  readonly status?: { readonly conditions?: readonly { type: string; status: string }[] };
}

const NOT_READY_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

/** Every node (fake or real) is Ready and no longer carries the not-ready taints: pods can land on it. */
export async function nodesSchedulable(target: RestTarget, nodes: readonly Pick<FakeNode, 'name'>[]): Promise<boolean> {
  const found = await fakeNodes(target, nodes);
  return Boolean(found?.every((node) => isReady(node) && !node?.spec?.taints?.some((t) => NOT_READY_TAINTS.has(t.key))));
}

/** Every fake node reports Ready (kwok has initialized it). */
export async function nodesReady(target: RestTarget, nodes: readonly FakeNode[]): Promise<boolean> {
  return Boolean((await fakeNodes(target, nodes))?.every(isReady));
}

// The Node object of each fake node (undefined where not created yet); undefined when the list fails.
async function fakeNodes(target: RestTarget, nodes: readonly Pick<FakeNode, 'name'>[]): Promise<(NodeStatus | undefined)[] | undefined> {
  const list = await getJson<{ items: NodeStatus[] }>(target, '/api/v1/nodes');
  return list && nodes.map((node) => list.items.find((item) => item.metadata.name === node.name));
}

function isReady(node: NodeStatus | undefined): boolean {
  return Boolean(node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/**
 * Without a controller-manager nobody lifts the not-ready taint that admission puts on
 * every new Node; do its job once kwok reports the node Ready.
 */
export async function clearNotReadyTaints(target: RestTarget, nodes: readonly FakeNode[]): Promise<void> {
  for (const node of nodes) {
    const res = await rest(
      target,
      'PATCH',
      `/api/v1/nodes/${node.name}`,
      { spec: { taints: nodeTaints(node) } },
      'application/merge-patch+json',
    );
    if (res.status !== 200) throw new Error(`cannot set the taints of node ${node.name}: HTTP ${res.status} ${res.body}`);
  }
}
