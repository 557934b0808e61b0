// The KubeClient adapter on @kubernetes/client-node. It uses client-node for
// what it is good at (kubeconfig loading, TLS, auth plugins and token refresh,
// the undici connection pool, ListWatch) and sends raw JSON itself, because the
// generated API classes get in the way of a controller:
// - their ObjectSerializer rewrites bodies (timestamps become Date objects,
//   unknown fields of built-in kinds are dropped), so a live object would no
//   longer compare equal to the JSON the builders produce;
// - server-side apply needs the `application/apply-patch+yaml` content type,
//   which the typed patch calls only pick through per-call header options;
// - failures arrive as ApiException whose `body` is raw text; here every
//   failure becomes a KubeError value with a kind instead.
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import type { DeleteOptions, InformerOptions, JsonPatchOperation, KubeClient, ListOptions } from './client.ts';
import { errorFromException, errorFromResponse, fail, ok, type KubeError, type Result } from './errors.ts';
import { createInformer } from './informer.ts';
import { resourceFor, resourcePath, type ResourceKind } from './resources.ts';
import type { KubeObject, ObjectKey, ObjectList } from './types.ts';

/** What one API request was, reported after it completes (for metrics and write counting). */
export interface ApiRequest {
  readonly verb: 'get' | 'list' | 'watch' | 'apply' | 'create' | 'update' | 'patch' | 'delete';
  readonly resource: string;
  readonly subresource?: string;
  /** HTTP status; 0 when no answer came back. */
  readonly status: number;
}

export interface NodeKubeClientOptions {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  readonly observe?: (request: ApiRequest) => void;
  readonly onInformerError?: (resource: ResourceKind, error: KubeError) => void;
  readonly requestTimeoutMs?: number;
}

const APPLY_PATCH = 'application/apply-patch+yaml'; // JSON is valid YAML
const JSON_PATCH = 'application/json-patch+json';
const JSON_TYPE = 'application/json';

interface Request {
  readonly verb: ApiRequest['verb'];
  readonly resource: ResourceKind;
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly subresource?: string;
}

/** Creates the KubeClient used in production and in the integration tests. */
export function createNodeKubeClient(options: NodeKubeClientOptions): KubeClient {
  const http = new IsomorphicFetchHttpLibrary();
  const timeoutMs = options.requestTimeoutMs ?? 30_000;

  async function send(request: Request): Promise<Result<unknown>> {
    const cluster = options.kubeConfig.getCurrentCluster();
    if (!cluster) return fail({ kind: 'Invalid', status: 0, reason: 'NoCluster', message: 'kubeconfig has no current cluster' });
    const context = new RequestContext(`${cluster.server}${request.path}`, request.method);
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) context.setQueryParam(name, value);
    context.setHeaderParam('Accept', JSON_TYPE);
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? JSON_TYPE);
      context.setBody(JSON.stringify(request.body));
    }
    context.setSignal(AbortSignal.timeout(timeoutMs));
    let status = 0;
    try {
      await options.kubeConfig.applySecurityAuthentication(context);
      const response = await http.send(context).toPromise();
      status = response.httpStatusCode;
      const text = await response.body.text();
      if (status >= 200 && status < 300) return ok(text ? JSON.parse(text) : undefined);
      return fail(errorFromResponse(status, text));
    } catch (err) {
      return fail(errorFromException(err));
    } finally {
      options.observe?.({ verb: request.verb, resource: request.resource.plural, subresource: request.subresource, status });
    }
  }

  const asObject = (result: Result<unknown>): Result<KubeObject> => result as Result<KubeObject>;
  const kindOf = (object: KubeObject): Result<ResourceKind> => {
    const resource = resourceFor(object.apiVersion, object.kind);
    return resource ? ok(resource) : fail({ kind: 'Invalid', status: 0, reason: 'UnknownKind', message: `kubeinfer does not handle ${object.apiVersion} ${object.kind}` });
  };

  async function list(resource: ResourceKind, listOptions: ListOptions = {}): Promise<Result<ObjectList>> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do { // pages of 500 keep single responses small on big clusters
      const query = { labelSelector: listOptions.labelSelector, fieldSelector: listOptions.fieldSelector, limit: '500', continue: continueToken };
      const page = await send({ verb: 'list', resource, method: HttpMethod.GET, path: resourcePath(resource, listOptions.namespace), query });
      if (!page.ok) return page;
      const body = page.value as { items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      const apiVersion = resource.apiVersion;
      for (const item of body.items ?? []) items.push({ ...item, apiVersion, kind: resource.kind }); // list items omit both
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      continueToken = body.metadata?.continue || undefined;
    } while (continueToken);
    return ok({ items, resourceVersion });
  }

  return {
    get: async (resource: ResourceKind, key: ObjectKey) =>
      asObject(await send({ verb: 'get', resource, method: HttpMethod.GET, path: resourcePath(resource, key.namespace, key.name) })),
    list,
    async apply(object, applyOptions = {}) {
      const resource = kindOf(object);
      if (!resource.ok) return resource;
      const { subresource } = applyOptions;
      const path = resourcePath(resource.value, object.metadata.namespace, object.metadata.name, subresource);
      const query = { fieldManager: options.fieldManager, force: 'true' };
      return asObject(await send({ verb: 'apply', resource: resource.value, method: HttpMethod.PATCH, path, query, body: object, contentType: APPLY_PATCH, subresource }));
    },
    async create(object) {
      const resource = kindOf(object);
      if (!resource.ok) return resource;
      const path = resourcePath(resource.value, object.metadata.namespace);
      return asObject(await send({ verb: 'create', resource: resource.value, method: HttpMethod.POST, path, query: { fieldManager: options.fieldManager }, body: object }));
    },
    async update(object) {
      const resource = kindOf(object);
      if (!resource.ok) return resource;
      const path = resourcePath(resource.value, object.metadata.namespace, object.metadata.name);
      return asObject(await send({ verb: 'update', resource: resource.value, method: HttpMethod.PUT, path, query: { fieldManager: options.fieldManager }, body: object }));
    },
    async patch(resource: ResourceKind, key: ObjectKey, operations: readonly JsonPatchOperation[]) {
      const path = resourcePath(resource, key.namespace, key.name);
      return asObject(await send({ verb: 'patch', resource, method: HttpMethod.PATCH, path, query: { fieldManager: options.fieldManager }, body: operations, contentType: JSON_PATCH }));
    },
    async delete(resource: ResourceKind, key: ObjectKey, deleteOptions: DeleteOptions = {}) {
      const body = {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: deleteOptions.propagationPolicy ?? 'Background',
        ...(deleteOptions.uid ? { preconditions: { uid: deleteOptions.uid } } : {}),
      };
      const result = await send({ verb: 'delete', resource, method: HttpMethod.DELETE, path: resourcePath(resource, key.namespace, key.name), body });
      return result.ok ? ok(undefined) : result;
    },
    informer: (resource: ResourceKind, informerOptions: InformerOptions = {}) =>
      createInformer(resource, informerOptions, {
        kubeConfig: options.kubeConfig,
        list,
        onWatch: (kind) => options.observe?.({ verb: 'watch', resource: kind.plural, status: 200 }),
        onError: options.onInformerError,
      }),
  };
}
