// Exactly what the operator may do, as RBAC PolicyRules. The Helm chart's
// ClusterRole and Roles are generated from (and tested against) these lists.
import type { V1PolicyRule } from '@kubernetes/client-node';

const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** Rules in every watched namespace (a ClusterRole when watching all of them). */
export const operatorRules: readonly V1PolicyRule[] = [
  { apiGroups: ['serving.kubeinfer.io'], resources: ['inferenceservices'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['serving.kubeinfer.io'], resources: ['inferenceservices/status'], verbs: ['get', 'update', 'patch'] },
  // Setting blockOwnerDeletion on children requires update on the owner's finalizers.
  { apiGroups: ['serving.kubeinfer.io'], resources: ['inferenceservices/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: WRITE },
  { apiGroups: [''], resources: ['services', 'configmaps', 'serviceaccounts'], verbs: WRITE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  // autoscaling.engine: keda. Granting verbs on a resource the cluster does not serve is harmless.
  { apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs: WRITE },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: WRITE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  // The router's Role grants get/list/watch on one ConfigMap; the operator holds those verbs itself, so no escalate/bind.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: WRITE },
  // Read only: why a version's pods are missing or failing, for status; rollouts also read each
  // router pod's figures at its pod IP, and listing finds the pods.
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  // Watched with the label selector serving.kubeinfer.io/storage-credentials=true, to check that
  // spec.storage.secretRef names an opted-in Secret with the keys the model URIs need. RBAC cannot
  // limit list/watch by label; the operator never lists Secrets without that selector.
  { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Cluster-scoped: nodes, to report GPU placement no node can satisfy. Optional (the check is skipped without it). */
export const nodeRules: readonly V1PolicyRule[] = [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }];

/** In the operator's own namespace, for leader election. */
export const leaderElectionRules: readonly V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

/**
 * What a router in `spec.auth.mode: kubernetes` needs: to ask the apiserver who a token belongs to
 * and what it may do (the rules of the built-in `system:auth-delegator`). Both are cluster-scoped
 * resources, so only a ClusterRoleBinding grants them; the chart makes one ClusterRole with these rules.
 */
export const routerReviewRules: readonly V1PolicyRule[] = [
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/**
 * What the operator needs to keep the router reviewers' ClusterRoleBinding `name` (bound to the
 * ClusterRole `name`) listing exactly the routers that review tokens: that one binding, and bind
 * on that one role. Not create or delete on any ClusterRoleBinding, nor the review rights themselves.
 */
export function reviewersBindingRules(name: string): V1PolicyRule[] {
  return [
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], resourceNames: [name], verbs: ['get', 'patch'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: [name], verbs: ['bind'] },
  ];
}
