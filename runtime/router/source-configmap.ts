// Configuration from a ConfigMap, watched through the Kubernetes API: the operator edits
// the ConfigMap and every router replica applies the new weights within about a second,
// with no restart and no volume-sync delay (mounted ConfigMaps take up to a minute).
//
// The watch is the same informer the operator runs (kube/informer.ts: list + watch,
// restarts with backoff, resumes from the last resourceVersion), narrowed by the field
// selector `metadata.name=<name>`: the form that a resourceNames-only Role allows for
// list and watch. A ConfigMap that does not exist yet is simply an empty list.
import type { KubeConfig } from '@kubernetes/client-node';
import { parseRouterConfigText, ROUTER_CONFIG_KEY } from '../../contracts/index.ts';
import { describeError } from '../../kube/errors.ts';
import { createNodeKubeClient } from '../../kube/node-client.ts';
import { ConfigMapKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ConfigSink, ConfigWatch } from './source-file.ts';

export interface ConfigMapSource {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly key?: string;
  readonly log?: (event: Readonly<Record<string, unknown>>) => void;
}

/** Watches `namespace/name` and delivers its router.json to `sink` on every change. */
export function watchConfigMap(source: ConfigMapSource, sink: ConfigSink): ConfigWatch {
  const log = source.log ?? (() => {});
  const configMap = `${source.namespace}/${source.name}`;
  const client = createNodeKubeClient({
    kubeConfig: source.kubeConfig,
    fieldManager: 'kubeinfer-router', // never used: the router only reads
    onInformerError: (_, error) =>
      log({ level: 'error', msg: 'watching the router ConfigMap failed; retrying', configMap, error: describeError(error) }),
  });
  const informer = client.informer(ConfigMapKind, { namespace: source.namespace, fieldSelector: `metadata.name=${source.name}` });
  const deliver = configMapDelivery(source, sink);
  informer.onEvent((event, object) => {
    if (event === 'delete') log({ level: 'error', msg: 'router ConfigMap deleted; keeping the last configuration', configMap });
    else deliver(object);
  });
  void informer.start(); // a failed first list is logged and retried by the informer itself
  return {
    async stop() {
      informer.stop();
    },
  };
}

/** Applies a ConfigMap's router.json once per distinct content. */
function configMapDelivery(source: ConfigMapSource, sink: ConfigSink): (configMap: KubeObject) => void {
  const key = source.key ?? ROUTER_CONFIG_KEY;
  let last: string | undefined;
  return (configMap) => {
    const text = (configMap.data as Readonly<Record<string, string>> | undefined)?.[key];
    const seen = text ?? '\u0000missing';
    if (seen === last) return;
    last = seen;
    if (text === undefined) return sink.reject([`ConfigMap ${source.namespace}/${source.name} has no key "${key}"`]);
    const parsed = parseRouterConfigText(text);
    if (parsed.ok) sink.apply(parsed.value);
    else sink.reject(parsed.problems.map((p) => `ConfigMap ${source.namespace}/${source.name} key ${key}: ${p}`));
  };
}
