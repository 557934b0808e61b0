// The KubeClient adapter on @kubernetes/client-node: REST verbs over
// ApiTransport (raw JSON, pooled connections, errors as values) and informers
// over client-node's ListWatch (informer.ts). The only implementation of the
// port; nothing outside kube/ imports client-node's API classes.
import type { KubeConfig } from '@kubernetes/client-node';
import type { DeleteOptions, Informer, InformerOptions, JsonPatchOperation, KubeClient, ListOptions } from './client.ts';
import { fail, ok, type KubeError, type Result } from './errors.ts';
import { createInformer } from './informer.ts';
import { resourceFor, resourcePath, type ResourceKind } from './resources.ts';
import { APPLY_PATCH, ApiTransport, HttpMethod, JSON_PATCH, type ApiRequest } from './transport.ts';
import type { KubeObject, ObjectKey, ObjectList } from './types.ts';

export type { ApiRequest } from './transport.ts';

export interface NodeKubeClientOptions {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  readonly observe?: (request: ApiRequest) => void;
  readonly onInformerError?: (resource: ResourceKind, error: KubeError) => void;
  readonly requestTimeoutMs?: number;
}

const asObject = (result: Result<unknown>): Result<KubeObject> => result as Result<KubeObject>;

function kindOf(object: KubeObject): Result<ResourceKind> {
  const resource = resourceFor(object.apiVersion, object.kind);
  return resource
    ? ok(resource)
    : fail({ kind: 'Invalid', status: 0, reason: 'UnknownKind', message: `kubeinfer does not handle ${object.apiVersion} ${object.kind}` });
}

class NodeKubeClient implements KubeClient {
  readonly #options: NodeKubeClientOptions;
  readonly #transport: ApiTransport;

  constructor(options: NodeKubeClientOptions) {
    this.#options = options;
    this.#transport = new ApiTransport(options.kubeConfig, options.requestTimeoutMs ?? 30_000, options.observe);
  }

  async get(resource: ResourceKind, key: ObjectKey): Promise<Result<KubeObject>> {
    return asObject(
      await this.#transport.send({ verb: 'get', resource, method: HttpMethod.GET, path: resourcePath(resource, key.namespace, key.name) }),
    );
  }

  async list(resource: ResourceKind, options: ListOptions = {}): Promise<Result<ObjectList>> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      // pages of 500 keep single responses small on big clusters
      const query = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: '500', continue: continueToken };
      const page = await this.#transport.send({
        verb: 'list',
        resource,
        method: HttpMethod.GET,
        path: resourcePath(resource, options.namespace),
        query,
      });
      if (!page.ok) return page;
      const body = page.value as { items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      for (const item of body.items ?? []) items.push({ ...item, apiVersion: resource.apiVersion, kind: resource.kind }); // list items omit both
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      continueToken = body.metadata?.continue || undefined;
    } while (continueToken);
    return ok({ items, resourceVersion });
  }

  async apply(object: KubeObject, options: { readonly subresource?: 'status' } = {}): Promise<Result<KubeObject>> {
    const resource = kindOf(object);
    if (!resource.ok) return resource;
    const { subresource } = options;
    const path = resourcePath(resource.value, object.metadata.namespace, object.metadata.name, subresource);
    const query = { fieldManager: this.#options.fieldManager, force: 'true' };
    return asObject(
      await this.#transport.send({
        verb: 'apply',
        resource: resource.value,
        method: HttpMethod.PATCH,
        path,
        query,
        body: object,
        contentType: APPLY_PATCH,
        subresource,
      }),
    );
  }

  create(object: KubeObject): Promise<Result<KubeObject>> {
    return this.#write('create', object);
  }

  update(object: KubeObject): Promise<Result<KubeObject>> {
    return this.#write('update', object);
  }

  /** POST a new object to its collection, or PUT a whole object in place (resourceVersion-guarded). */
  async #write(verb: 'create' | 'update', object: KubeObject): Promise<Result<KubeObject>> {
    const resource = kindOf(object);
    if (!resource.ok) return resource;
    const create = verb === 'create';
    const path = resourcePath(resource.value, object.metadata.namespace, create ? undefined : object.metadata.name);
    return asObject(
      await this.#transport.send({
        verb,
        resource: resource.value,
        method: create ? HttpMethod.POST : HttpMethod.PUT,
        path,
        query: { fieldManager: this.#options.fieldManager },
        body: object,
      }),
    );
  }

  async patch(resource: ResourceKind, key: ObjectKey, operations: readonly JsonPatchOperation[]): Promise<Result<KubeObject>> {
    const path = resourcePath(resource, key.namespace, key.name);
    const query = { fieldManager: this.#options.fieldManager };
    return asObject(
      await this.#transport.send({
        verb: 'patch',
        resource,
        method: HttpMethod.PATCH,
        path,
        query,
        body: operations,
        contentType: JSON_PATCH,
      }),
    );
  }

  async delete(resource: ResourceKind, key: ObjectKey, options: DeleteOptions = {}): Promise<Result<void>> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: options.propagationPolicy ?? 'Background',
      ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
    };
    const result = await this.#transport.send({
      verb: 'delete',
      resource,
      method: HttpMethod.DELETE,
      path: resourcePath(resource, key.namespace, key.name),
      body,
    });
    return result.ok ? ok(undefined) : result;
  }

  informer(resource: ResourceKind, options: InformerOptions = {}): Informer {
    return createInformer(resource, options, {
      kubeConfig: this.#options.kubeConfig,
      list: (kind, listOptions) => this.list(kind, listOptions),
      onWatch: (kind) => this.#options.observe?.({ verb: 'watch', resource: kind.plural, status: 200 }),
      onError: this.#options.onInformerError,
    });
  }
}

/** Creates the KubeClient used in production and in the integration tests. */
export function createNodeKubeClient(options: NodeKubeClientOptions): KubeClient {
  return new NodeKubeClient(options);
}
