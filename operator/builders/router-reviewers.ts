// The one ClusterRoleBinding that lets routers review tokens: its subjects are the router
// ServiceAccounts of every InferenceService with spec.auth.mode kubernetes, and no others.
// One shared binding rather than one per InferenceService, because a cluster-scoped object
// cannot have a namespaced owner (garbage collection would never remove it) and creating
// them would need create and delete on every ClusterRoleBinding in the cluster (DESIGN.md).
import type { KubeObject } from '../../kube/types.ts';
import { routerObjectName } from './names.ts';

interface ServiceAccountSubject {
  readonly kind: 'ServiceAccount';
  readonly name: string;
  readonly namespace: string;
}

/** The router ServiceAccounts that review tokens (of InferenceServices as the apiserver has them), sorted. */
export function reviewingRouters(isvcs: readonly KubeObject[]): ServiceAccountSubject[] {
  return isvcs
    .filter(
      (isvc) => (isvc.spec as { auth?: { mode?: string } } | undefined)?.auth?.mode === 'kubernetes' && !isvc.metadata.deletionTimestamp,
    )
    .map((isvc) => ({
      kind: 'ServiceAccount' as const,
      name: routerObjectName(isvc.metadata.name ?? ''),
      namespace: isvc.metadata.namespace ?? 'default',
    }))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** ClusterRoleBinding `name` to ClusterRole `name` (both installed by the chart), for `routers`. */
export function routerReviewersBinding(name: string, routers: readonly ServiceAccountSubject[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: routers,
  };
}
