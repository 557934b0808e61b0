// HTTP to the apiserver through client-node's own pieces (kubeconfig, TLS,
// auth plugins and token refresh, the undici transport), sending and receiving
// raw JSON. Raw, because client-node's generated API classes get in the way of
// a controller:
// - their ObjectSerializer rewrites bodies (timestamps become Date objects,
//   unknown fields of built-in kinds are dropped), so a live object would no
//   longer compare equal to the JSON the builders produce;
// - server-side apply needs the `application/apply-patch+yaml` content type,
//   which the typed patch calls only pick through per-call header options;
// - failures arrive as ApiException whose `body` is raw text; here every
//   failure becomes a KubeError value with a kind instead;
// - KubeConfig.applySecurityAuthentication builds a new undici Agent on every
//   call, so each request would open a new TLS connection. We keep one Agent
//   (connection pool with keep-alive) and renew it every few minutes so rotated
//   client certificates are still picked up; auth headers are applied per request.
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { errorFromException, errorFromResponse, fail, ok, type Result } from './errors.ts';
import type { ResourceKind } from './resources.ts';

/** What one API request was, reported after it completes (for metrics and write counting). */
export interface ApiRequest {
  readonly verb: 'get' | 'list' | 'watch' | 'apply' | 'create' | 'update' | 'patch' | 'delete';
  readonly resource: string;
  readonly subresource?: string;
  /** HTTP status; 0 when no answer came back. */
  readonly status: number;
}

export interface Request {
  readonly verb: ApiRequest['verb'];
  readonly resource: ResourceKind;
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly subresource?: string;
}

export { HttpMethod };
export const APPLY_PATCH = 'application/apply-patch+yaml'; // JSON is valid YAML
export const JSON_PATCH = 'application/json-patch+json';
const JSON_TYPE = 'application/json';
const POOL_RENEW_MS = 5 * 60_000;

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/** Sends one JSON request at a time through a shared connection pool. */
export class ApiTransport {
  readonly #kubeConfig: KubeConfig;
  readonly #timeoutMs: number;
  readonly #observe: ((request: ApiRequest) => void) | undefined;
  readonly #http = new IsomorphicFetchHttpLibrary();
  #pool: { dispatcher: Dispatcher; createdAt: number } | undefined;

  constructor(kubeConfig: KubeConfig, timeoutMs: number, observe?: (request: ApiRequest) => void) {
    this.#kubeConfig = kubeConfig;
    this.#timeoutMs = timeoutMs;
    this.#observe = observe;
  }

  /** Sends a request; the parsed JSON body on 2xx, a KubeError otherwise. */
  async send(request: Request): Promise<Result<unknown>> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    if (!cluster) return fail({ kind: 'Invalid', status: 0, reason: 'NoCluster', message: 'kubeconfig has no current cluster' });
    const context = new RequestContext(`${cluster.server}${request.path}`, request.method);
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) context.setQueryParam(name, value);
    context.setHeaderParam('Accept', JSON_TYPE);
    if (request.body !== undefined) {
      context.setHeaderParam('Content-Type', request.contentType ?? JSON_TYPE);
      context.setBody(JSON.stringify(request.body));
    }
    context.setSignal(AbortSignal.timeout(this.#timeoutMs));
    let status = 0;
    try {
      await this.#kubeConfig.applySecurityAuthentication(context);
      this.#usePool(context);
      const response = await this.#http.send(context).toPromise();
      status = response.httpStatusCode;
      const text = await response.body.text();
      if (status >= 200 && status < 300) return ok(text ? JSON.parse(text) : undefined);
      return fail(errorFromResponse(status, text));
    } catch (err) {
      return fail(errorFromException(err));
    } finally {
      this.#observe?.({ verb: request.verb, resource: request.resource.plural, subresource: request.subresource, status });
    }
  }

  // Swaps the per-call dispatcher for the shared one (see the file header).
  #usePool(context: RequestContext): void {
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (!this.#pool || Date.now() - this.#pool.createdAt > POOL_RENEW_MS) {
      const previous = this.#pool?.dispatcher;
      this.#pool = { dispatcher: fresh, createdAt: Date.now() };
      void previous?.close().catch(() => {}); // graceful: requests in flight on it finish first
      return;
    }
    void fresh.close().catch(() => {});
    context.setDispatcher(this.#pool.dispatcher);
  }
}
