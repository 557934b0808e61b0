// The child cache's owner index, fed by informer events: which cached children an
// InferenceService controls, across kinds, as children come and go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Informer, InformerEvent } from '../../kube/client.ts';
import { ConfigMapKind, DeploymentKind, type ResourceKind } from '../../kube/resources.ts';
import { objectKey, type KubeObject, type ObjectKey } from '../../kube/types.ts';
import { ChildCache } from '../../operator/controller/cache.ts';

/** An informer whose cache is a map the test fills; the real one is list + watch. */
function memoryInformer(resource: ResourceKind): Informer & { put(object: KubeObject): void; remove(object: KubeObject): void } {
  const objects = new Map<string, KubeObject>();
  return {
    resource,
    synced: true,
    onEvent: () => undefined,
    start: async () => ({ ok: true, value: undefined }),
    stop: () => undefined,
    get: (key: ObjectKey) => objects.get(objectKey(key)),
    list: () => [...objects.values()],
    put: (object) => objects.set(objectKey(object.metadata), object),
    remove: (object) => objects.delete(objectKey(object.metadata)),
  };
}

function child(kind: string, name: string, ownerUid: string): KubeObject {
  const ownerReferences = [
    { apiVersion: 'serving.kubeinfer.io/v1alpha1', kind: 'InferenceService', name: 'fraud', uid: ownerUid, controller: true },
  ];
  return { apiVersion: 'v1', kind, metadata: { namespace: 'ml', name, ownerReferences } };
}

describe('ChildCache.owned', () => {
  it('finds the children of one owner across kinds, and forgets deleted ones', () => {
    const deployments = memoryInformer(DeploymentKind);
    const configMaps = memoryInformer(ConfigMapKind);
    const cache = new ChildCache([deployments, configMaps]);
    const seen = (informer: ReturnType<typeof memoryInformer>, event: InformerEvent, object: KubeObject) => {
      if (event === 'delete') informer.remove(object);
      else informer.put(object);
      return cache.observe(informer.resource, event, object);
    };
    const deployment = child('Deployment', 'fraud-v1', 'uid-1');
    const config = child('ConfigMap', 'fraud-router', 'uid-1');
    assert.equal(seen(deployments, 'add', deployment), 'ml/fraud');
    seen(configMaps, 'add', config);
    const names = () => cache.owned('ml/fraud', 'uid-1').map(({ resource, object }) => `${resource.kind}/${object.metadata.name}`);
    assert.deepEqual(names().sort(), ['ConfigMap/fraud-router', 'Deployment/fraud-v1']);
    // A namesake from an earlier InferenceService (another uid) is not this one's child.
    assert.deepEqual(cache.owned('ml/fraud', 'uid-2'), []);
    seen(deployments, 'delete', deployment);
    assert.deepEqual(names(), ['ConfigMap/fraud-router']);
  });
});
