// Whether a child must be (re)applied. Applying only when something differs is
// what makes a reconcile with nothing to change write nothing at all.
//
// Two checks, because each misses what the other sees:
// - the applied-hash annotation changes whenever the desired configuration
//   changes, including when a field is dropped from it;
// - "desired is contained in live" catches hand edits and deletions of fields
//   we own, while ignoring what the apiserver defaulted and what other
//   managers (HPA, other controllers, kubectl users) added beside our fields.
import { ANNOTATION_APPLIED_HASH } from '../builders/labels.ts';
import type { KubeObject } from '../../kube/types.ts';
import { sameQuantity } from './quantity.ts';

// Quantities the apiserver canonicalizes: values of these maps, and these fields.
const QUANTITY_MAPS: ReadonlySet<string> = new Set(['requests', 'limits']);
const QUANTITY_FIELDS: ReadonlySet<string> = new Set(['sizeLimit', 'averageValue']);

/** Why a child needs applying, or undefined when it is up to date. */
export function applyReason(desired: KubeObject, live: KubeObject | undefined): 'missing' | 'changed' | 'drifted' | undefined {
  if (!live) return 'missing';
  const wanted = desired.metadata.annotations?.[ANNOTATION_APPLIED_HASH];
  if (wanted !== live.metadata.annotations?.[ANNOTATION_APPLIED_HASH]) return 'changed';
  return contains(live, desired, '', '') ? undefined : 'drifted';
}

/** Whether `live` holds every field of `desired` with an equal value. */
export function contains(live: unknown, desired: unknown, key: string, parentKey: string): boolean {
  if (Array.isArray(desired)) return containsList(live, desired, key, parentKey);
  if (isRecord(desired)) {
    if (live === undefined && Object.keys(desired).length === 0) return true; // `{}` may be dropped as empty
    if (!isRecord(live)) return false;
    return Object.entries(desired).every(([field, value]) => value === undefined || contains(live[field], value, field, key));
  }
  if (live === desired) return true;
  const quantity = QUANTITY_MAPS.has(parentKey) || QUANTITY_FIELDS.has(key);
  const quantityLike = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';
  return quantity && quantityLike(live) && quantityLike(desired) && sameQuantity(live, desired);
}

// Lists of named items (containers, env, ports, volumes) are maps keyed by name
// on the server: match by name and allow items others added. Other lists must
// match item by item.
function containsList(live: unknown, desired: readonly unknown[], key: string, parentKey: string): boolean {
  if (live === undefined) return desired.length === 0;
  if (!Array.isArray(live)) return false;
  if (desired.every((item) => isRecord(item) && typeof item.name === 'string')) {
    return desired.every((item) => {
      const match = live.find((candidate) => isRecord(candidate) && candidate.name === (item as { name: string }).name);
      return match !== undefined && contains(match, item, key, parentKey);
    });
  }
  return live.length === desired.length && desired.every((item, index) => contains(live[index], item, key, parentKey));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
