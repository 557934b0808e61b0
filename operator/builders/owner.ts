// Controller owner reference: the garbage collector deletes children with their
// InferenceService, and the informers map a child back to its owner.
import { API_GROUP_VERSION, KIND, type InferenceService } from '../api/index.ts';
import type { V1OwnerReference } from '@kubernetes/client-node';

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
