// The router's identity: a ServiceAccount allowed to read exactly one object,
// its own ConfigMap. resourceNames restricts list/watch to requests carrying
// fieldSelector=metadata.name=<name>, which is how the router watches.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';
import { standardLabels } from './labels.ts';
import { routerObjectName } from './names.ts';
import { inNamespace } from '../../kube/types.ts';
import { childMetadata } from './owner.ts';

function metadata(isvc: InferenceService) {
  return childMetadata(isvc, routerObjectName(isvc.metadata.name ?? ''), standardLabels(isvc, 'router'));
}

/** ServiceAccount `<isvc>-router`. */
export function routerServiceAccount(isvc: InferenceService): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(isvc), automountServiceAccountToken: false };
}

/** Role `<isvc>-router`: get/list/watch on ConfigMap `<isvc>-router` only. */
export function routerRole(isvc: InferenceService): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: metadata(isvc),
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: [routerObjectName(isvc.metadata.name ?? '')],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  };
}

/** RoleBinding `<isvc>-router`: binds the Role to the ServiceAccount. */
export function routerRoleBinding(isvc: InferenceService): V1RoleBinding {
  const name = routerObjectName(isvc.metadata.name ?? '');
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: metadata(isvc),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name, ...inNamespace(isvc.metadata.namespace) }],
  };
}
