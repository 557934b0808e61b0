// The KubeClient port: everything the operator, the CLI and the router need from the
// Kubernetes API, as plain JSON objects and errors as values. The client-node
// adapter (node-client.ts) is the only implementation that talks HTTP.
import type { Result } from './errors.ts';
import type { ResourceKind } from './resources.ts';
import type { KubeObject, ObjectKey, ObjectList } from './types.ts';

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface DeleteOptions {
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only if the object still has this uid (a re-created namesake survives). */
  readonly uid?: string;
}

/** One RFC 6902 JSON patch operation. */
export interface JsonPatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

export type InformerEvent = 'add' | 'update' | 'delete';

/** A cached, continuously updated view of one kind (list + watch). */
export interface Informer {
  readonly resource: ResourceKind;
  /** Registers a handler for object changes; handlers must only enqueue work. */
  onEvent(handler: (event: InformerEvent, object: KubeObject) => void): void;
  /** Starts list + watch; resolves once the first list is in the cache, or with the error that prevented it. */
  start(): Promise<Result<void>>;
  stop(): void;
  /** True once a list has filled the cache. */
  readonly synced: boolean;
  get(key: ObjectKey): KubeObject | undefined;
  list(namespace?: string): readonly KubeObject[];
}

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Narrows list and watch, e.g. `metadata.name=<name>` for one object a resourceNames Role allows. */
  readonly fieldSelector?: string;
}

/** The Kubernetes API as kubeinfer uses it. */
export interface KubeClient {
  get(resource: ResourceKind, key: ObjectKey): Promise<Result<KubeObject>>;
  list(resource: ResourceKind, options?: ListOptions): Promise<Result<ObjectList>>;
  /** Server-side apply under the client's field manager, forcing ownership of conflicting fields. */
  apply(object: KubeObject, options?: { readonly subresource?: 'status' }): Promise<Result<KubeObject>>;
  create(object: KubeObject): Promise<Result<KubeObject>>;
  /** PUT with the object's resourceVersion: fails with Conflict if someone else wrote first. */
  update(object: KubeObject): Promise<Result<KubeObject>>;
  patch(resource: ResourceKind, key: ObjectKey, operations: readonly JsonPatchOperation[]): Promise<Result<KubeObject>>;
  delete(resource: ResourceKind, key: ObjectKey, options?: DeleteOptions): Promise<Result<void>>;
  informer(resource: ResourceKind, options?: InformerOptions): Informer;
}
