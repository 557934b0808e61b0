// A stable fingerprint of the configuration applied to a child. Stored as an
// annotation on the child, it tells the controller when a spec change removed
// fields (which a "desired is a subset of live" check cannot see).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../kube/types.ts';
import { ANNOTATION_APPLIED_HASH } from './labels.ts';

/** JSON with object keys sorted, so equal objects always serialize equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Hash of an object's configuration; the owner's uid and the hash annotation itself are left out. */
export function appliedHash(object: KubeObject): string {
  const { ownerReferences: _owner, annotations = {}, ...metadata } = object.metadata;
  const { [ANNOTATION_APPLIED_HASH]: _hash, ...otherAnnotations } = annotations;
  const hashed = { ...object, metadata: { ...metadata, annotations: otherAnnotations } };
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex').slice(0, 16);
}

/** The object with its applied-hash annotation set. */
export function withAppliedHash(object: KubeObject): KubeObject {
  const annotations = { ...object.metadata.annotations, [ANNOTATION_APPLIED_HASH]: appliedHash(object) };
  return { ...object, metadata: { ...object.metadata, annotations } };
}
