// The controller's view of the children: informer caches of every owned kind,
// an index from owner to children, and a short-lived memo of what this process
// just applied. The memo bridges the moment between a write and its watch
// event, so a reconcile that runs in between does not apply the same object
// again; the object's own watch event (or its deletion) clears it. The watch
// event can also beat the HTTP response of the write, so the resourceVersions
// recently seen per child are kept to recognise that case.
import type { Informer, InformerEvent } from '../../kube/client.ts';
import type { ResourceKind } from '../../kube/resources.ts';
import type { KubeObject, ObjectKey } from '../../kube/types.ts';
import { LABEL_ISVC } from '../builders/labels.ts';

const MEMO_TTL_MS = 30_000;
const RECENT_VERSIONS = 8;

/** Where to find an owned child again: its kind's informer and its key there. */
interface ChildRef {
  readonly kind: string;
  readonly key: ObjectKey;
}

function childRef(kind: string, object: KubeObject): ChildRef {
  const { namespace, name } = object.metadata;
  return { kind, key: namespace === undefined ? { name } : { namespace, name } };
}

/** `kind/namespace/name`: identifies one child across kinds. */
export function childId(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** The owner key (`namespace/name` of the InferenceService) a child belongs to, if it is ours. */
export function ownerKeyOf(object: KubeObject): string | undefined {
  const owner = object.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === 'InferenceService');
  const name = owner?.name ?? object.metadata.labels?.[LABEL_ISVC];
  return name && object.metadata.namespace ? `${object.metadata.namespace}/${name}` : undefined;
}

export interface OwnedChild {
  readonly resource: ResourceKind;
  readonly object: KubeObject;
}

/** Children of all owned kinds, by kind and by owner. */
export class ChildCache {
  readonly #informers: ReadonlyMap<string, Informer>;
  readonly #memo = new Map<string, { object: KubeObject; at: number }>();
  readonly #byOwner = new Map<string, Map<string, ChildRef>>();
  readonly #recentVersions = new Map<string, string[]>();

  constructor(informers: readonly Informer[]) {
    this.#informers = new Map(informers.map((informer) => [informer.resource.kind, informer]));
  }

  /** The freshest known state of a child: what we just applied, else the cache. */
  get(resource: ResourceKind, key: ObjectKey): KubeObject | undefined {
    const id = childId(resource.kind, key.namespace, key.name);
    const memo = this.#memo.get(id);
    if (memo && Date.now() - memo.at < MEMO_TTL_MS) return memo.object;
    this.#memo.delete(id);
    return this.#informers.get(resource.kind)?.get(key);
  }

  /** Records the object an apply returned. */
  remember(object: KubeObject): void {
    const id = childId(object.kind, object.metadata.namespace, object.metadata.name);
    if (this.#recentVersions.get(id)?.includes(object.metadata.resourceVersion ?? '')) return; // its event already arrived
    this.#memo.set(id, { object, at: Date.now() });
  }

  /** Forgets a child this process deleted. */
  forget(resource: ResourceKind, key: ObjectKey): void {
    this.#memo.delete(childId(resource.kind, key.namespace, key.name));
  }

  /** Feeds an informer event in; returns the owner key to enqueue. */
  observe(resource: ResourceKind, event: InformerEvent, object: KubeObject): string | undefined {
    const id = childId(resource.kind, object.metadata.namespace, object.metadata.name);
    const memo = this.#memo.get(id);
    if (memo && (event === 'delete' || memo.object.metadata.resourceVersion === object.metadata.resourceVersion)) this.#memo.delete(id);
    if (event === 'delete') this.#recentVersions.delete(id);
    else
      this.#recentVersions.set(
        id,
        [...(this.#recentVersions.get(id) ?? []), object.metadata.resourceVersion ?? ''].slice(-RECENT_VERSIONS),
      );
    const owner = ownerKeyOf(object);
    if (!owner) return undefined;
    const children = this.#byOwner.get(owner) ?? new Map<string, ChildRef>();
    if (event === 'delete') children.delete(id);
    else children.set(id, childRef(resource.kind, object));
    if (children.size > 0) this.#byOwner.set(owner, children);
    else this.#byOwner.delete(owner);
    return owner;
  }

  /** Every cached child whose controller is the InferenceService with this key and uid. */
  owned(ownerKey: string, uid: string): OwnedChild[] {
    const children: OwnedChild[] = [];
    for (const { kind, key } of this.#byOwner.get(ownerKey)?.values() ?? []) {
      const informer = this.#informers.get(kind);
      const object = informer?.get(key);
      if (informer && object?.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === uid))
        children.push({ resource: informer.resource, object });
    }
    return children;
  }
}
