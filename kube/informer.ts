// Informers on client-node's ListWatch, with the pieces it lacks:
// - ListWatch gives up for good on any watch error other than 410 Gone; we
//   restart it (single-flight, with backoff) and it resumes from the last
//   resourceVersion, relisting if that has been compacted away.
// - Errors arrive as ApiException, undici errors or plain Errors with a
//   statusCode; the handler turns them into KubeError values.
// - Cached objects are stripped of managedFields (never read, often the
//   largest part of an object).
// - stop() aborts the watch, which ListWatch reports as an error; ignored.
import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Informer, InformerEvent, InformerOptions } from './client.ts';
import { errorFromException, errorKindForStatus, ok, type KubeError, type Result } from './errors.ts';
import { resourcePath, type ResourceKind } from './resources.ts';
import type { KubeObject, ObjectKey, ObjectList } from './types.ts';

export interface InformerDeps {
  readonly kubeConfig: KubeConfig;
  readonly list: (resource: ResourceKind, options: InformerOptions) => Promise<Result<ObjectList>>;
  readonly onWatch?: (resource: ResourceKind) => void;
  readonly onError?: ((resource: ResourceKind, error: KubeError) => void) | undefined;
  readonly restartBaseMs?: number;
  readonly restartMaxMs?: number;
}

/** Drops what the cache never needs. */
export function stripForCache<T extends KubeObject>(object: T): T {
  if (!object.metadata?.managedFields) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** Watch that strips objects before ListWatch caches them and reports each watch request. */
class StrippingWatch extends Watch {
  readonly #onWatch: () => void;
  constructor(kubeConfig: KubeConfig, onWatch: () => void) {
    super(kubeConfig);
    this.#onWatch = onWatch;
  }
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    this.#onWatch();
    const strip = (phase: string, object: any, event?: any) =>
      callback(phase, object?.metadata ? stripForCache(object as KubeObject) : object, event);
    return super.watch(path, queryParams, strip, done);
  }
}

/** Converts whatever ListWatch hands its error callbacks into a KubeError. */
export function informerError(err: unknown): KubeError {
  const status = err as { statusCode?: unknown; code?: unknown } | undefined;
  const code = typeof status?.statusCode === 'number' ? status.statusCode : typeof status?.code === 'number' ? status.code : 0;
  if (code >= 400) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: errorKindForStatus(code), status: code, reason: '', message };
  }
  return errorFromException(err);
}

/** An informer on ListWatch that restarts itself; see the file header. */
class RestartingInformer implements Informer {
  readonly resource: ResourceKind;
  readonly #deps: InformerDeps;
  readonly #handlers: ((event: InformerEvent, object: KubeObject) => void)[] = [];
  readonly #listWatch: ListWatch<KubernetesObject>;
  #synced = false;
  #stopped = true;
  #restarting = false;
  #failures = 0;
  #lastError: KubeError | undefined;

  constructor(resource: ResourceKind, options: InformerOptions, deps: InformerDeps) {
    this.resource = resource;
    this.#deps = deps;
    const watch = new StrippingWatch(deps.kubeConfig, () => deps.onWatch?.(resource));
    const listFn = () => this.#list(options);
    this.#listWatch = new ListWatch<KubernetesObject>(
      resourcePath(resource, options.namespace),
      watch,
      listFn as never,
      false,
      options.labelSelector,
      options.fieldSelector,
    );
    for (const event of ['add', 'update', 'delete'] as const) {
      this.#listWatch.on(event, (object) => {
        this.#failures = 0; // events flowing again: the next failure starts the backoff afresh
        for (const handler of this.#handlers) handler(event, object as unknown as KubeObject);
      });
    }
    this.#listWatch.on('error', (err) => this.#onError(err));
  }

  get synced(): boolean {
    return this.#synced;
  }

  onEvent(handler: (event: InformerEvent, object: KubeObject) => void): void {
    this.#handlers.push(handler);
  }

  async start(): Promise<Result<void>> {
    this.#stopped = false;
    this.#lastError = undefined;
    await this.#listWatch.start();
    if (this.#synced) return ok(undefined);
    return { ok: false, error: this.#lastError ?? errorFromException(new Error(`initial list of ${this.resource.plural} failed`)) };
  }

  stop(): void {
    this.#stopped = true;
    void this.#listWatch.stop();
  }

  get(key: ObjectKey): KubeObject | undefined {
    return this.#listWatch.get(key.name, key.namespace) as unknown as KubeObject | undefined;
  }

  list(namespace?: string): readonly KubeObject[] {
    return this.#listWatch.list(namespace) as unknown as readonly KubeObject[];
  }

  async #list(options: InformerOptions) {
    const listed = await this.#deps.list(this.resource, options);
    if (!listed.ok) throw Object.assign(new Error(listed.error.message), { kubeError: listed.error });
    this.#synced = true;
    this.#failures = 0;
    return { metadata: { resourceVersion: listed.value.resourceVersion }, items: listed.value.items.map(stripForCache) };
  }

  #onError(err: unknown): void {
    const error = (err as { kubeError?: KubeError } | undefined)?.kubeError ?? informerError(err);
    this.#lastError = error;
    if (this.#stopped) return; // stop() aborts the watch, which ListWatch reports as an error
    this.#deps.onError?.(this.resource, error);
    this.#scheduleRestart();
  }

  // Single-flight: however many errors arrive, one restart is pending at a time.
  #scheduleRestart(): void {
    if (this.#restarting || this.#stopped) return;
    this.#restarting = true;
    const delay = Math.min((this.#deps.restartBaseMs ?? 500) * 2 ** Math.min(this.#failures, 10), this.#deps.restartMaxMs ?? 30_000);
    this.#failures += 1;
    const timer = setTimeout(() => {
      this.#restarting = false;
      if (!this.#stopped) void this.#listWatch.start();
    }, delay);
    timer.unref();
  }
}

/** Creates an informer for one kind; see the file header for what it adds to ListWatch. */
export function createInformer(resource: ResourceKind, options: InformerOptions, deps: InformerDeps): Informer {
  return new RestartingInformer(resource, options, deps);
}
