// autoscaling.engine: keda on a real apiserver. Without KEDA's CRD the InferenceService is
// Stalled (KedaNotInstalled) and still serves; once KEDA's own CRD (from its Go module) is
// installed, the operator notices without a restart and creates a ScaledObject the apiserver
// accepts; switching engines swaps ScaledObject and HPA cleanly, both ways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeClient } from '../../kube/client.ts';
import { DeploymentKind, HorizontalPodAutoscalerKind, InferenceServiceKind, ScaledObjectKind } from '../../kube/resources.ts';
import { kedaCrdPath } from '../../tools/cluster/assets.ts';
import {
  applyAsUser,
  createNamespace,
  eventually,
  inferenceService,
  names,
  operatorCluster,
  read,
  waitCondition,
  waitReady,
} from './harness.ts';

const PROMETHEUS_URL = 'http://prometheus.monitoring.svc:9090';
const BEHAVIOR = { scaleDown: { stabilizationWindowSeconds: 30, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } };

function fraud(ns: string, autoscaling: Record<string, unknown>) {
  return inferenceService(ns, 'fraud', [{ name: 'v1' }], { autoscaling: { minReplicas: 1, maxReplicas: 3, ...autoscaling } });
}

describe('autoscaling.engine keda', () => {
  const cluster = operatorCluster({ build: { runtimeImage: 'img:1', kedaPrometheusUrl: PROMETHEUS_URL }, secretRecheckMs: 1_000 });
  const admin = (): KubeClient => cluster.admin;
  const ns = 'keda';

  it('is Stalled with KedaNotInstalled while the CRD is absent, and the version still runs', async () => {
    await createNamespace(cluster.cp, ns);
    await applyAsUser(admin(), fraud(ns, { metric: 'concurrency', target: 4, engine: 'keda', behavior: BEHAVIOR }));
    const stalled = await waitCondition(admin(), ns, 'fraud', 'Stalled', 'True');
    assert.equal(stalled.reason, 'KedaNotInstalled');
    assert.match(
      stalled.message,
      /keda\.sh\/v1alpha1 ScaledObjects \(needed for fraud-v1\): install KEDA, or set autoscaling\.engine: hpa/,
    );
    assert.ok(await read(admin(), DeploymentKind, ns, 'fraud-v1'), 'the Deployment is applied regardless');
    assert.deepEqual(await names(admin(), HorizontalPodAutoscalerKind, ns), [], 'no HPA stands in for the missing ScaledObject');
  });

  it('creates a ScaledObject the apiserver accepts once KEDA is installed, without an operator restart', async () => {
    const applied = await cluster.cp.kubectl(['apply', '--server-side', '-f', await kedaCrdPath()]);
    assert.equal(applied.code, 0, applied.stderr);
    // The ScaledObject informer retries its list with backoff (at most 30 s apart).
    const scaled = (await eventually(() => read(admin(), ScaledObjectKind, ns, 'fraud-v1'), 'ScaledObject fraud-v1', 90_000)) as any;
    assert.deepEqual(scaled.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud-v1' });
    assert.equal(scaled.spec.minReplicaCount, 1);
    assert.equal(scaled.spec.maxReplicaCount, 3);
    assert.deepEqual(scaled.spec.advanced.horizontalPodAutoscalerConfig.behavior, BEHAVIOR);
    assert.deepEqual(scaled.spec.triggers, [
      {
        type: 'prometheus',
        metricType: 'AverageValue',
        metadata: {
          serverAddress: PROMETHEUS_URL,
          query: 'sum(kubeinfer_inference_inflight_requests{namespace="keda",pod=~"fraud-v1-[a-z0-9]+-[a-z0-9]+"})',
          threshold: '4',
          ignoreNullValues: 'true',
        },
      },
    ]);
    assert.equal(scaled.metadata.ownerReferences[0].kind, 'InferenceService');
    // Logged once per outage, not on every retry. Under load another watch error (a timeout while
    // the CRD is being established) may come between, and ends that outage.
    const notServed = 'kind not served; retrying quietly until it is';
    const errors = cluster.operator.logs
      .filter((line) => line.resource === 'scaledobjects' && line.error !== undefined)
      .map((line) => line.msg);
    assert.equal(errors[0], notServed);
    assert.ok(
      errors.every((msg, i) => i === 0 || msg !== notServed || errors[i - 1] !== notServed),
      `the missing CRD is logged once, not on every retry: ${JSON.stringify(errors)}`,
    );
    await waitReady(admin(), ns, 'fraud');
  });

  it('switches to an HPA and back (metric cpu), deleting what the other engine made', async () => {
    await applyAsUser(admin(), fraud(ns, { metric: 'concurrency', target: 4, engine: 'hpa' }));
    await eventually(async () => ((await names(admin(), ScaledObjectKind, ns)).length === 0 ? true : undefined), 'ScaledObject deleted');
    assert.deepEqual(await names(admin(), HorizontalPodAutoscalerKind, ns), ['fraud-v1']);

    await applyAsUser(admin(), fraud(ns, { metric: 'cpu', target: 70, engine: 'keda' }));
    const scaled = (await eventually(() => read(admin(), ScaledObjectKind, ns, 'fraud-v1'), 'ScaledObject again')) as any;
    assert.deepEqual(scaled.spec.triggers, [{ type: 'cpu', metricType: 'Utilization', metadata: { value: '70' } }]);
    assert.equal(scaled.spec.advanced, undefined, 'no behavior, no advanced block');
    await eventually(
      async () => ((await names(admin(), HorizontalPodAutoscalerKind, ns)).length === 0 ? true : undefined),
      'the HPA deleted',
    );
    await waitReady(admin(), ns, 'fraud');
  });

  it('admission refuses an unknown engine', async () => {
    const refused = await admin().apply(fraud(ns, { engine: 'knative' }) as never);
    assert.equal(refused.ok, false);
    if (!refused.ok)
      assert.match(refused.error.message, /spec\.autoscaling\.engine: Unsupported value: "knative": supported values: "hpa", "keda"/);
    const stored = (await read(admin(), InferenceServiceKind, ns, 'fraud')) as any;
    assert.equal(stored.spec.autoscaling.engine, 'keda', 'the stored object is unchanged');
  });
});
