// The router reviewers binding as a pure function of the InferenceServices: exactly the
// routers of kubernetes mode, not those of API keys, no auth, or one being deleted, in a
// stable order so that the same set never looks like a change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reviewingRouters, routerReviewersBinding } from '../../operator/builders/router-reviewers.ts';
import type { KubeObject } from '../../kube/types.ts';

function isvc(namespace: string, name: string, auth?: object, deleting = false): KubeObject {
  return {
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { namespace, name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { versions: [], ...(auth ? { auth } : {}) },
  };
}

test('only routers of kubernetes mode are listed, sorted by namespace and name', () => {
  const routers = reviewingRouters([
    isvc('ml', 'fraud', { mode: 'kubernetes' }),
    isvc('ads', 'ranker', { mode: 'kubernetes' }),
    isvc('ml', 'keys', { mode: 'apiKey', secretRef: { name: 'k' } }),
    isvc('ml', 'open'),
    isvc('ml', 'leaving', { mode: 'kubernetes' }, true),
  ]);
  assert.deepEqual(routers, [
    { kind: 'ServiceAccount', name: 'ranker-router', namespace: 'ads' },
    { kind: 'ServiceAccount', name: 'fraud-router', namespace: 'ml' },
  ]);
  assert.deepEqual(reviewingRouters([...[isvc('ml', 'b', { mode: 'kubernetes' }), isvc('ml', 'a', { mode: 'kubernetes' })]].reverse()), [
    { kind: 'ServiceAccount', name: 'a-router', namespace: 'ml' },
    { kind: 'ServiceAccount', name: 'b-router', namespace: 'ml' },
  ]);
});

test('the binding refers to the ClusterRole of its own name', () => {
  const binding = routerReviewersBinding('kubeinfer-router-reviewers', []);
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeinfer-router-reviewers' });
  assert.deepEqual(binding.subjects, []);
  assert.equal(binding.metadata.name, 'kubeinfer-router-reviewers');
});
