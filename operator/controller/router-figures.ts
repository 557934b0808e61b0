// Where rollouts get their evidence: every router replica's GET /router/stats, read at
// the pod's IP (as Prometheus scrapes pods), added up, and differenced against the read
// before. The previous reads live in memory only: after an operator restart the first
// read starts a fresh interval, which delays a verdict by one interval and never skips a step.
import type { InferenceService } from '../../api/index.ts';
import { ROUTER_STATS_PATH, sinceRead, sumFigures, type RouterFigures, type VersionFigures } from '../../rollout/figures.ts';
import { LABEL_COMPONENT, LABEL_ISVC } from '../builders/labels.ts';
import { HTTP_PORT } from '../builders/options.ts';
import type { KubeClient } from '../kube/client.ts';
import { describeError } from '../kube/errors.ts';
import { PodKind } from '../kube/resources.ts';
import type { KubeObject } from '../kube/types.ts';

/** Each router replica's figures, by pod name, or why they could not be read. */
export type FiguresRead = { readonly ok: true; readonly value: ReadonlyMap<string, RouterFigures> } | { readonly ok: false; readonly error: string };

export interface RouterFiguresSource {
  read(isvc: InferenceService): Promise<FiguresRead>;
}

const READ_TIMEOUT_MS = 3_000;

/** The base URL of a running pod's router port, or undefined while it has no IP. */
export function podAddress(pod: KubeObject): string | undefined {
  const status = pod.status as { phase?: string; podIP?: string } | undefined;
  if (status?.phase !== 'Running' || !status.podIP) return undefined;
  return `http://${status.podIP.includes(':') ? `[${status.podIP}]` : status.podIP}:${HTTP_PORT}`;
}

/** Lists the InferenceService's router pods and reads each one's figures; `address` is replaceable for tests on fake nodes. */
export function podFiguresSource(client: KubeClient, address: (pod: KubeObject) => string | undefined = podAddress): RouterFiguresSource {
  return {
    async read(isvc) {
      const labelSelector = `${LABEL_ISVC}=${isvc.metadata.name},${LABEL_COMPONENT}=router`;
      const pods = await client.list(PodKind, { namespace: isvc.metadata.namespace, labelSelector });
      if (!pods.ok) return { ok: false, error: `listing router pods: ${describeError(pods.error)}` };
      const targets = pods.value.items.flatMap((pod) => {
        const url = address(pod);
        return url === undefined ? [] : [[pod.metadata.name ?? '', url] as const];
      });
      if (targets.length === 0) return { ok: false, error: 'no router pod is running' };
      const reads = await Promise.all(targets.map(async ([name, url]) => [name, await readFigures(url)] as const));
      const failed = reads.find(([, read]) => typeof read === 'string');
      if (failed !== undefined) return { ok: false, error: `router pod ${failed[0]}: ${failed[1] as string}` };
      return { ok: true, value: new Map(reads as (readonly [string, RouterFigures])[]) };
    },
  };
}

async function readFigures(url: string): Promise<RouterFigures | string> {
  try {
    const response = await fetch(`${url}${ROUTER_STATS_PATH}`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    if (!response.ok) return `GET ${ROUTER_STATS_PATH} answered ${response.status}`;
    return (await response.json()) as RouterFigures;
  } catch (error) {
    return `GET ${url}${ROUTER_STATS_PATH} failed: ${(error as Error).message}`;
  }
}

/** The last read of each InferenceService's routers, to difference the next one against. */
export class FigureWindows {
  readonly #last = new Map<string, ReadonlyMap<string, RouterFigures>>();

  /** Figures since the previous read of `key` (summed over replicas), or null when there was none. */
  window(key: string, reads: ReadonlyMap<string, RouterFigures>): Readonly<Record<string, VersionFigures>> | null {
    const before = this.#last.get(key);
    this.#last.set(key, reads);
    if (before === undefined) return null;
    const deltas = [...reads].map(([pod, now]) => ({
      model: now.model,
      versions: Object.fromEntries(Object.entries(now.versions).map(([version, figures]) => [version, sinceRead(figures, before.get(pod)?.versions[version])])),
    }));
    return sumFigures(deltas);
  }

  forget(key: string): void {
    this.#last.delete(key);
  }
}
