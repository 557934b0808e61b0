// Which autoscaler a version gets (HPA, ScaledObject or none) and when engine keda cannot work:
// pure builder and check logic; test/operator/keda.test.ts runs the same against a real apiserver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { desiredObjects } from '../../operator/builders/index.ts';
import { kedaProblem } from '../../operator/controller/checks.ts';
import type { KubeObject } from '../../kube/types.ts';

const PROMETHEUS = 'http://prometheus.monitoring.svc:9090';

function objects(autoscaling: Record<string, unknown>, kedaPrometheusUrl?: string): KubeObject[] {
  const checked = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'fraud', namespace: 'team', uid: 'u1' },
    spec: { versions: [{ name: 'v1', model: { uri: 'https://m.example/1.onnx' } }], autoscaling, resources: { requests: { cpu: '500m' } } },
  });
  assert.ok(checked.ok, JSON.stringify(checked));
  return desiredObjects(checked.value as InferenceService, { runtimeImage: 'img:1', kedaPrometheusUrl });
}

const kinds = (list: readonly KubeObject[]) => list.map((object) => object.kind).filter((kind) => /Autoscaler|ScaledObject/.test(kind));

describe('autoscaling engines', () => {
  it('defaults to an HPA; engine keda makes a ScaledObject instead; min == max makes neither', () => {
    assert.deepEqual(kinds(objects({ maxReplicas: 3 })), ['HorizontalPodAutoscaler']);
    assert.deepEqual(kinds(objects({ maxReplicas: 3, engine: 'keda' }, PROMETHEUS)), ['ScaledObject']);
    assert.deepEqual(kinds(objects({ minReplicas: 3, maxReplicas: 3, engine: 'keda' }, PROMETHEUS)), []);
  });

  it('the ScaledObject averages the same in-flight gauge the HPA reads, and carries behavior', () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 20 } };
    const scaled = objects({ maxReplicas: 3, metric: 'concurrency', target: 4, engine: 'keda', behavior }, PROMETHEUS).find(
      (object) => object.kind === 'ScaledObject',
    ) as any;
    assert.equal(scaled.apiVersion, 'keda.sh/v1alpha1');
    assert.deepEqual(scaled.spec.advanced, { horizontalPodAutoscalerConfig: { behavior } });
    assert.equal(scaled.spec.triggers[0].metadata.threshold, '4');
    assert.match(scaled.spec.triggers[0].metadata.query, /^sum\(kubeinfer_inference_inflight_requests\{namespace="team",pod=~"fraud-v1-/);
  });

  it('reports KEDA not served, then a concurrency trigger without Prometheus; cpu needs no Prometheus', () => {
    const concurrency = objects({ maxReplicas: 3, metric: 'concurrency', engine: 'keda' });
    assert.equal(kedaProblem(concurrency, false, undefined)?.reason, 'KedaNotInstalled');
    const unset = kedaProblem(concurrency, true, undefined);
    assert.equal(unset?.reason, 'KedaPrometheusUnset');
    assert.match(unset?.message ?? '', /no --keda-prometheus-url \(needed for fraud-v1\)/);
    assert.equal(kedaProblem(objects({ maxReplicas: 3, metric: 'cpu', engine: 'keda' }), true, undefined), undefined);
    assert.equal(kedaProblem(objects({ maxReplicas: 3 }), false, undefined), undefined, 'engine hpa never needs KEDA');
  });
});
