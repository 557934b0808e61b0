// The router's PodDisruptionBudget: voluntary disruptions (node drains, cluster upgrades)
// evict router pods one at a time, so the model always has a router answering.
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';
import { routerSelector, standardLabels } from './labels.ts';
import { routerObjectName } from './names.ts';
import { childMetadata } from './owner.ts';

/** PodDisruptionBudget `<isvc>-router`: at most one router pod evicted at a time. */
export function routerDisruptionBudget(isvc: InferenceService): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(isvc, routerObjectName(isvc.metadata.name ?? ''), standardLabels(isvc, 'router')),
    // maxUnavailable rather than minAvailable: with a single replica it still lets a drain proceed.
    spec: { maxUnavailable: 1, selector: { matchLabels: routerSelector(isvc) } },
  };
}
