// Plain JSON shapes of Kubernetes objects as the apiserver sends them. The
// builders produce these and the controller compares them; nothing here knows
// about client-node's generated model classes.

/**
 * metav1.ObjectMeta, the fields kubeinfer reads or writes. Kept apart from the
 * api module's ObjectMeta on purpose: an object from or to the apiserver always
 * has a name and carries owner references and managed fields, where a manifest
 * may use generateName; and this port must not depend on the InferenceService API.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly managedFields?: readonly ManagedFieldsEntry[];
  readonly finalizers?: readonly string[];
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsV1?: unknown;
}

/** Any Kubernetes object: typed header, untyped body. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** A list response: items plus the resourceVersion to watch from. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** Identifies an object of a known kind. */
export interface ObjectKey {
  readonly namespace?: string;
  readonly name: string;
}

/** `namespace/name` (or `name` for cluster-scoped objects), the work queue's key format. */
export function objectKey(meta: ObjectKey): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** Inverse of objectKey. */
export function parseObjectKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
