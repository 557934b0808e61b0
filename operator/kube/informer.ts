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
  readonly onError?: (resource: ResourceKind, error: KubeError) => void;
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
      callback(phase, object && object.metadata ? stripForCache(object as KubeObject) : object, event);
    return super.watch(path, queryParams, strip, done);
  }
}

/** Converts whatever ListWatch hands its error callbacks into a KubeError. */
export function informerError(err: unknown): KubeError {
  const status = (err as { statusCode?: unknown; code?: unknown } | undefined);
  const code = typeof status?.statusCode === 'number' ? status.statusCode : typeof status?.code === 'number' ? status.code : 0;
  if (code >= 400) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: errorKindForStatus(code), status: code, reason: '', message };
  }
  return errorFromException(err);
}

/** Creates an informer for one kind; see the file header for what it adds to ListWatch. */
export function createInformer(resource: ResourceKind, options: InformerOptions, deps: InformerDeps): Informer {
  const handlers: ((event: InformerEvent, object: KubeObject) => void)[] = [];
  let synced = false;
  let stopped = true;
  let restarting = false;
  let failures = 0;
  let lastError: KubeError | undefined;
  const listFn = async () => {
    const listed = await deps.list(resource, options);
    if (!listed.ok) throw Object.assign(new Error(listed.error.message), { kubeError: listed.error });
    synced = true;
    failures = 0;
    return { metadata: { resourceVersion: listed.value.resourceVersion }, items: listed.value.items.map(stripForCache) };
  };
  const watch = new StrippingWatch(deps.kubeConfig, () => deps.onWatch?.(resource));
  const path = resourcePath(resource, options.namespace);
  const listWatch = new ListWatch<KubernetesObject>(path, watch, listFn as never, false, options.labelSelector);
  for (const event of ['add', 'update', 'delete'] as const) {
    listWatch.on(event, (object) => {
      failures = 0; // events flowing again: the next failure starts the backoff afresh
      for (const handler of handlers) handler(event, object as unknown as KubeObject);
    });
  }
  listWatch.on('error', (err) => {
    const error = (err as { kubeError?: KubeError })?.kubeError ?? informerError(err);
    lastError = error;
    if (stopped) return;
    deps.onError?.(resource, error);
    scheduleRestart();
  });

  // Single-flight: however many errors arrive, one restart is pending at a time.
  function scheduleRestart(): void {
    if (restarting || stopped) return;
    restarting = true;
    const base = deps.restartBaseMs ?? 500;
    const delay = Math.min(base * 2 ** Math.min(failures, 10), deps.restartMaxMs ?? 30_000);
    failures += 1;
    const timer = setTimeout(() => {
      restarting = false;
      if (!stopped) void listWatch.start();
    }, delay);
    timer.unref();
  }

  return {
    resource,
    onEvent: (handler) => void handlers.push(handler),
    get synced() {
      return synced;
    },
    async start() {
      stopped = false;
      lastError = undefined;
      await listWatch.start();
      if (!synced) return { ok: false, error: lastError ?? errorFromException(new Error(`initial list of ${resource.plural} failed`)) };
      return ok(undefined);
    },
    stop() {
      stopped = true;
      void listWatch.stop();
    },
    get: (key: ObjectKey) => listWatch.get(key.name, key.namespace) as unknown as KubeObject | undefined,
    list: (namespace?: string) => listWatch.list(namespace) as unknown as readonly KubeObject[],
  };
}
