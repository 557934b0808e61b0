// The per-InferenceService gauges, read from what the caches hold at scrape time: each
// version's Deployment replicas (desired, current, ready), an aborted rollout, and series that
// go away with the InferenceService. (test/monitoring/prometheus.test.ts scrapes them from an
// operator on a real control plane.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { KubeObject } from '../../kube/types.ts';
import { registerServiceGauges, serviceFigures, type ServiceFigures } from '../../operator/controller/service-metrics.ts';

const isvc = (name: string, phase?: string): KubeObject => ({
  apiVersion: 'serving.kubeinfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { namespace: 'ml', name },
  spec: { versions: [{ name: 'v1' }, { name: 'v2' }] },
  ...(phase ? { status: { rollout: { phase } } } : {}),
});

const deployments: Record<string, KubeObject> = {
  'ml/fraud-v1': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'ml', name: 'fraud-v1', generation: 2 },
    spec: { replicas: 3 },
    status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  } as KubeObject,
};
const planned: Record<string, KubeObject> = {
  'fraud-v2': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'ml', name: 'fraud-v2' },
    spec: { replicas: 2 },
  } as KubeObject,
};
const sources = {
  live: (namespace: string, name: string) => deployments[`${namespace}/${name}`],
  planned: (name: string) => planned[name],
};

test('a version reports its Deployment: desired from spec, current and ready from status; without one, the planned spec and 0', () => {
  assert.deepEqual(serviceFigures(isvc('fraud'), sources), {
    namespace: 'ml',
    name: 'fraud',
    versions: [
      { version: 'v1', desired: 3, replicas: 3, ready: 2 },
      { version: 'v2', desired: 2, replicas: 0, ready: 0 },
    ],
    rolloutAborted: false,
  });
  assert.equal(serviceFigures(isvc('fraud', 'Aborted'), sources).rolloutAborted, true);
  assert.equal(serviceFigures(isvc('fraud', 'Progressing'), sources).rolloutAborted, false);
});

test('the gauges show what the caches hold at each scrape, and forget a deleted InferenceService', async () => {
  const registry = new Registry();
  let services: ServiceFigures[] = [serviceFigures(isvc('fraud', 'Aborted'), sources)];
  registerServiceGauges(registry, () => services);
  const first = await registry.metrics();
  assert.match(first, /kubeinfer_inferenceservice_replicas\{namespace="ml",inferenceservice="fraud",version="v1",state="desired"\} 3/);
  assert.match(first, /kubeinfer_inferenceservice_replicas\{namespace="ml",inferenceservice="fraud",version="v1",state="ready"\} 2/);
  assert.match(first, /kubeinfer_inferenceservice_rollout_aborted\{namespace="ml",inferenceservice="fraud"\} 1/);
  services = [];
  const second = await registry.metrics();
  assert.doesNotMatch(second, /inferenceservice="fraud"/);
});
