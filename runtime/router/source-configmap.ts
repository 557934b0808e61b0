// Configuration from a ConfigMap, watched through the Kubernetes API: the operator edits
// the ConfigMap and every router replica applies the new weights within about a second,
// with no restart and no volume-sync delay (mounted ConfigMaps take up to a minute).
//
// Each cycle GETs the ConfigMap (which also re-syncs after any missed event), then watches
// it from that resourceVersion. The watch asks the server to end after 25 s, before
// client-node's 30 s inactivity timer fires on a quiet ConfigMap; errors back off up to 30 s.
import { ApiException, CoreV1Api, Watch } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { parseRouterConfigText, ROUTER_CONFIG_KEY } from '../../contracts/index.ts';
import type { ConfigSink, ConfigWatch } from './source-file.ts';


export interface ConfigMapSource {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly key?: string;
  readonly log?: (event: Readonly<Record<string, unknown>>) => void;
}

const WATCH_SECONDS = 25;
const MAX_BACKOFF_MS = 30_000;

/** Watches `namespace/name` and delivers its router.json to `sink` on every change. */
export function watchConfigMap(source: ConfigMapSource, sink: ConfigSink): ConfigWatch {
  const api = source.kubeConfig.makeApiClient(CoreV1Api);
  const watcher = new Watch(source.kubeConfig);
  const log = source.log ?? (() => {});
  const deliver = configMapDelivery(source, sink);
  const control = { stopped: false, watch: undefined as AbortController | undefined, wake: undefined as (() => void) | undefined };

  const cycle = async () => {
    const configMap = await api.readNamespacedConfigMap({ name: source.name, namespace: source.namespace });
    deliver(configMap);
    await watchFrom(watcher, source, configMap.metadata?.resourceVersion, deliver, control);
  };
  const loop = (async () => {
    let backoff = 500;
    while (!control.stopped) {
      try {
        await cycle();
        backoff = 500;
      } catch (error) {
        if (control.stopped) break;
        log({ level: 'error', msg: 'watching the router ConfigMap failed; retrying', configMap: `${source.namespace}/${source.name}`, error: describeError(error), retryInMs: backoff });
        await new Promise<void>((resolve) => {
          control.wake = resolve;
          setTimeout(resolve, backoff);
        });
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  })();
  return {
    async stop() {
      control.stopped = true;
      control.watch?.abort();
      control.wake?.();
      await loop;
    },
  };
}

interface WatchControl {
  readonly stopped: boolean;
  watch: AbortController | undefined;
}

/** One watch from `resourceVersion` until the server ends it (resolves) or it fails (rejects). */
function watchFrom(watcher: Watch, source: ConfigMapSource, resourceVersion: string | undefined, deliver: (configMap: V1ConfigMap) => void, control: WatchControl): Promise<void> {
  const log = source.log ?? (() => {});
  const path = `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/configmaps`;
  const query = { fieldSelector: `metadata.name=${source.name}`, resourceVersion, timeoutSeconds: WATCH_SECONDS };
  const onEvent = (type: string, object: V1ConfigMap) => {
    if (type === 'ADDED' || type === 'MODIFIED') deliver(object);
    if (type === 'DELETED') log({ level: 'error', msg: 'router ConfigMap deleted; keeping the last configuration', configMap: `${source.namespace}/${source.name}` });
  };
  return new Promise<void>((resolve, reject) => {
    const done = (error: unknown) => (error && !control.stopped ? reject(error) : resolve());
    watcher.watch(path, query, onEvent, done).then((controller) => {
      if (control.stopped) controller.abort();
      else control.watch = controller;
    }, reject);
  });
}

/** Applies a ConfigMap's router.json once per distinct content. */
function configMapDelivery(source: ConfigMapSource, sink: ConfigSink): (configMap: V1ConfigMap) => void {
  const key = source.key ?? ROUTER_CONFIG_KEY;
  let last: string | undefined;
  return (configMap) => {
    const text = configMap.data?.[key];
    const seen = text ?? '\u0000missing';
    if (seen === last) return;
    last = seen;
    if (text === undefined) return sink.reject([`ConfigMap ${source.namespace}/${source.name} has no key "${key}"`]);
    const parsed = parseRouterConfigText(text);
    if (parsed.ok) sink.apply(parsed.value);
    else sink.reject(parsed.problems.map((p) => `ConfigMap ${source.namespace}/${source.name} key ${key}: ${p}`));
  };
}

function describeError(error: unknown): string {
  if (error instanceof ApiException) return `HTTP ${error.code}: ${String(error.body).slice(0, 300)}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
