// Where the operator's rollouts get their evidence: every router pod's GET /router/stats,
// read at the pod's IP (as Prometheus scrapes pods), so analysis needs nothing installed.
import type { InferenceService } from '../../api/index.ts';
import type { RouterFigures } from '../../rollout/figures.ts';
import { readRouters, type FiguresRead } from '../../rollout/windows.ts';
import { LABEL_COMPONENT, LABEL_ISVC } from '../builders/labels.ts';
import { HTTP_PORT } from '../builders/options.ts';
import type { KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { PodKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface RouterFiguresSource {
  read(isvc: InferenceService): Promise<FiguresRead>;
}

/** The base URL of a running pod's router port, or undefined while it has no IP. */
export function podAddress(pod: KubeObject): string | undefined {
  const status = pod.status as { phase?: string; podIP?: string } | undefined;
  if (status?.phase !== 'Running' || !status.podIP) return undefined;
  return `http://${status.podIP.includes(':') ? `[${status.podIP}]` : status.podIP}:${HTTP_PORT}`;
}

/**
 * Lists the InferenceService's router pods and reads each one's figures; `address` (and `read`,
 * given an address) are replaceable: for tests on fake nodes, and for a CLI outside the cluster.
 */
export function podFiguresSource(
  client: KubeClient,
  address: (pod: KubeObject) => string | undefined = podAddress,
  read?: (address: string) => Promise<RouterFigures | string>,
): RouterFiguresSource {
  return {
    async read(isvc) {
      const labelSelector = `${LABEL_ISVC}=${isvc.metadata.name},${LABEL_COMPONENT}=router`;
      const pods = await client.list(PodKind, { namespace: isvc.metadata.namespace, labelSelector });
      if (!pods.ok) return { ok: false, error: `listing router pods: ${describeError(pods.error)}` };
      return readRouters(
        pods.value.items.flatMap((pod) => {
          const url = address(pod);
          return url === undefined ? [] : [[pod.metadata.name ?? '', url] as const];
        }),
        read,
      );
    },
  };
}
