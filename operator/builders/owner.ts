// What every child's metadata holds. The controller owner reference lets the
// garbage collector delete children with their InferenceService, and the
// informers map a child back to its owner.
import { API_GROUP_VERSION, KIND, type InferenceService } from '../../api/index.ts';
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { inNamespace } from '../../kube/types.ts';

/** The ownerReference every child carries. */
export function controllerReference(isvc: InferenceService): V1OwnerReference {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: KIND,
    name: isvc.metadata.name ?? '',
    uid: isvc.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A child's metadata: its name and labels, in the InferenceService's namespace, owned by it. */
export function childMetadata(isvc: InferenceService, name: string, labels: Record<string, string>): V1ObjectMeta {
  return { name, ...inNamespace(isvc.metadata.namespace), labels, ownerReferences: [controllerReference(isvc)] };
}
