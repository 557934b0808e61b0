// The kinds kubeinfer talks to, with the REST facts needed to build their URLs.
// A static table instead of discovery: the set is small and fixed, and it saves
// a round trip per group on every start.

export interface ResourceKind {
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural used in the URL path. */
  readonly plural: string;
  readonly namespaced: boolean;
}

const kind = (apiVersion: string, name: string, plural: string, namespaced = true): ResourceKind => ({
  apiVersion,
  kind: name,
  plural,
  namespaced,
});

export const InferenceServiceKind = kind('serving.kubeinfer.io/v1alpha1', 'InferenceService', 'inferenceservices');
export const DeploymentKind = kind('apps/v1', 'Deployment', 'deployments');
export const ReplicaSetKind = kind('apps/v1', 'ReplicaSet', 'replicasets');
export const ServiceKind = kind('v1', 'Service', 'services');
export const ConfigMapKind = kind('v1', 'ConfigMap', 'configmaps');
export const ServiceAccountKind = kind('v1', 'ServiceAccount', 'serviceaccounts');
export const SecretKind = kind('v1', 'Secret', 'secrets');
export const EventKind = kind('v1', 'Event', 'events');
export const NodeKind = kind('v1', 'Node', 'nodes', false);
export const PodKind = kind('v1', 'Pod', 'pods');
export const HorizontalPodAutoscalerKind = kind('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers');
export const RoleKind = kind('rbac.authorization.k8s.io/v1', 'Role', 'roles');
export const RoleBindingKind = kind('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings');
export const ClusterRoleBindingKind = kind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false);
export const PodDisruptionBudgetKind = kind('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets');
export const LeaseKind = kind('coordination.k8s.io/v1', 'Lease', 'leases');
export const NetworkPolicyKind = kind('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies');
/** KEDA's; served only where KEDA's CRDs are installed. */
export const ScaledObjectKind = kind('keda.sh/v1alpha1', 'ScaledObject', 'scaledobjects');

const ALL: readonly ResourceKind[] = [
  InferenceServiceKind,
  DeploymentKind,
  ReplicaSetKind,
  ServiceKind,
  ConfigMapKind,
  ServiceAccountKind,
  SecretKind,
  EventKind,
  NodeKind,
  PodKind,
  HorizontalPodAutoscalerKind,
  PodDisruptionBudgetKind,
  RoleKind,
  RoleBindingKind,
  ClusterRoleBindingKind,
  LeaseKind,
  NetworkPolicyKind,
  ScaledObjectKind,
];

/** Finds the table entry for an object's apiVersion and kind. */
export function resourceFor(apiVersion: string, kindName: string): ResourceKind | undefined {
  return ALL.find((entry) => entry.apiVersion === apiVersion && entry.kind === kindName);
}

/** URL path of a collection or of one object, optionally a subresource of it. */
export function resourcePath(resource: ResourceKind, namespace?: string, name?: string, subresource?: string): string {
  const root = resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`;
  const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${root}${scope}/${resource.plural}${item}${sub}`;
}
