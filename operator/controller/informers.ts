// One informer per kind, whatever the watch scope: all namespaces, or a list of
// namespaces (one list+watch each, so a namespaced Role is enough RBAC).
import type { Informer, InformerEvent, KubeClient } from '../../kube/client.ts';
import { ok, type Result } from '../../kube/errors.ts';
import type { ResourceKind } from '../../kube/resources.ts';
import type { KubeObject, ObjectKey } from '../../kube/types.ts';

/** An informer over `namespaces` (empty: the whole cluster). */
export function scopedInformer(
  client: KubeClient,
  resource: ResourceKind,
  namespaces: readonly string[],
  labelSelector?: string,
): Informer {
  if (namespaces.length === 0 || !resource.namespaced) return client.informer(resource, { labelSelector });
  const parts = new Map(namespaces.map((namespace) => [namespace, client.informer(resource, { namespace, labelSelector })]));
  return {
    resource,
    onEvent(handler: (event: InformerEvent, object: KubeObject) => void) {
      for (const informer of parts.values()) informer.onEvent(handler);
    },
    async start(): Promise<Result<void>> {
      const results = await Promise.all([...parts.values()].map((informer) => informer.start()));
      return results.find((result) => !result.ok) ?? ok(undefined);
    },
    stop() {
      for (const informer of parts.values()) informer.stop();
    },
    get synced() {
      return [...parts.values()].every((informer) => informer.synced);
    },
    get: (key: ObjectKey) => (key.namespace ? parts.get(key.namespace)?.get(key) : undefined),
    list: (namespace?: string) =>
      namespace ? (parts.get(namespace)?.list() ?? []) : [...parts.values()].flatMap((informer) => informer.list()),
  };
}
