// Disruptions the real-node tests put an InferenceService through while it serves: pods
// deleted one at a time (as a drain or an impatient operator does it), and the routers' own
// view of the weights they apply (their metrics), read from each router pod directly.
import { eventually } from '../../tools/cluster/eventually.ts';
import type { ChartCluster } from '../ship/chart-fixture.ts';

interface PodView {
  readonly metadata: { readonly name: string; readonly uid: string; readonly deletionTimestamp?: string };
  readonly status: { readonly podIP?: string; readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
}

async function listPods(cluster: ChartCluster, namespace: string, selector: string): Promise<PodView[]> {
  const list = JSON.parse(await cluster.kubectlOk(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'])) as { items: PodView[] };
  return list.items;
}

const serving = (pod: PodView): boolean =>
  pod.metadata.deletionTimestamp === undefined && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * Deletes the pods that `selector` matches, one at a time: each deletion waits until the pod
 * is gone (`force`: killed at once, no grace period) and as many other pods are Ready as
 * there were at the start, before the next. Returns the names deleted.
 */
export async function deletePodsOneByOne(
  cluster: ChartCluster,
  namespace: string,
  selector: string,
  options: { readonly force?: boolean } = {},
): Promise<string[]> {
  // Pods already terminating (an earlier rollout's) are on their way out: not ours to count.
  const original = (await listPods(cluster, namespace, selector)).filter((pod) => pod.metadata.deletionTimestamp === undefined);
  const deleted = new Set<string>();
  for (const pod of original) {
    const how = options.force ? ['--grace-period=0', '--force'] : ['--wait=true'];
    await cluster.kubectlOk(['delete', 'pod', '-n', namespace, pod.metadata.name, ...how]);
    deleted.add(pod.metadata.uid);
    await eventually(
      async () => {
        const ready = (await listPods(cluster, namespace, selector)).filter((p) => serving(p) && !deleted.has(p.metadata.uid));
        return ready.length >= original.length ? true : undefined;
      },
      `${original.length} Ready pods (${selector}) besides the ${deleted.size} deleted`,
      180_000,
    );
  }
  return original.map((pod) => pod.metadata.name);
}

/** Waits until `count` pods match `selector`, every one Ready and none terminating (a rollout has finished, old pods included). */
export async function settled(cluster: ChartCluster, namespace: string, selector: string, count: number): Promise<void> {
  await eventually(
    async () => {
      const pods = await listPods(cluster, namespace, selector);
      return pods.length === count && pods.every(serving) ? true : undefined;
    },
    `${count} pods (${selector}), all Ready, none terminating`,
    180_000,
  );
}

/** The addresses of the pods that `selector` matches and that are Ready and not terminating. */
export async function servingPodIps(cluster: ChartCluster, namespace: string, selector: string): Promise<string[]> {
  return (await listPods(cluster, namespace, selector)).filter(serving).flatMap((pod) => (pod.status.podIP ? [pod.status.podIP] : []));
}

/** Each router's configured weights (version -> percent), from its kubeinfer_router_version_weight gauge. */
async function routerWeights(routerIp: string, port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${routerIp}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const weights: Record<string, number> = {};
  for (const [, version, value] of text.matchAll(/^kubeinfer_router_version_weight\{[^}]*version="([^"]+)"[^}]*\} (\S+)$/gm)) {
    weights[version as string] = Number(value);
  }
  return weights;
}

/**
 * Waits until every serving router pod (reached from the host at its pod IP) applies
 * `expected`; returns their addresses. The operator writes the weights into the routers'
 * ConfigMap and each router watches it, so this is where a weight change has landed.
 */
export async function routersApply(
  cluster: ChartCluster,
  namespace: string,
  selector: string,
  port: number,
  expected: Readonly<Record<string, number>>,
): Promise<string[]> {
  const want = JSON.stringify(Object.entries(expected).sort());
  return eventually(
    async () => {
      const ips = await servingPodIps(cluster, namespace, selector);
      const seen = await Promise.all(ips.map((ip) => routerWeights(ip, port)));
      return ips.length > 0 && seen.every((weights) => JSON.stringify(Object.entries(weights).sort()) === want) ? ips : undefined;
    },
    `the routers (${selector}) to apply ${want}`,
    120_000,
  );
}
