// Effective per-version settings: overrides replace the spec-level block, defaults
// fill what is left, and the traffic summary matches the printer column's format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatTrafficSummary,
  inferenceServiceSchema,
  resolveVersions,
  validateInferenceService,
  withSchemaDefaults,
} from '../../api/index.ts';
import type { InferenceServiceSpec } from '../../api/index.ts';

function spec(raw: unknown): InferenceServiceSpec {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'fraud' },
    spec: raw,
  });
  assert.ok(result.ok, JSON.stringify(result));
  return result.value.spec;
}

const model = (n: number) => ({ uri: `s3://acme-models/fraud/v${n}/model.onnx` });

describe('resolveVersions', () => {
  it('gives the only version 100% and one fixed pod when nothing is said', () => {
    const [only] = resolveVersions(spec({ versions: [{ name: 'v1', model: model(1) }] }));
    assert.deepEqual(only, {
      name: 'v1',
      model: model(1),
      weight: 100,
      resources: {},
      scaling: { kind: 'Fixed', replicas: 1 },
      runtime: { executionProvider: 'cpu' },
      mirrorPercent: 0,
    });
  });

  it('lets a version block replace the spec block of the same name', () => {
    const resolved = resolveVersions(
      spec({
        versions: [
          { name: 'a', model: model(1), weight: 60 },
          { name: 'b', model: model(2), weight: 40, resources: { requests: { cpu: '2' } }, runtime: { workers: 4 }, replicas: 3 },
          { name: 'c', model: model(3), autoscaling: { maxReplicas: 9, metric: 'concurrency' } },
        ],
        resources: { requests: { cpu: '1', memory: '1Gi' } },
        runtime: { workers: 2, batching: { maxBatchSize: 8 } },
        autoscaling: { minReplicas: 2, maxReplicas: 5, target: 60 },
      }),
    );
    const [a, b, c] = resolved;
    assert.deepEqual(a?.resources, { requests: { cpu: '1', memory: '1Gi' } });
    assert.deepEqual(a?.scaling, { kind: 'Autoscaled', minReplicas: 2, maxReplicas: 5, metric: 'cpu', engine: 'hpa', target: 60 });
    assert.deepEqual(a?.runtime, { workers: 2, batching: { maxBatchSize: 8 }, executionProvider: 'cpu' });
    assert.deepEqual(b?.resources, { requests: { cpu: '2' } });
    assert.deepEqual(b?.runtime, { workers: 4, executionProvider: 'cpu' }, 'the whole runtime block is replaced, not merged');
    assert.deepEqual(b?.scaling, { kind: 'Fixed', replicas: 3 });
    assert.deepEqual(c?.scaling, { kind: 'Autoscaled', minReplicas: 1, maxReplicas: 9, metric: 'concurrency', engine: 'hpa', target: 8 });
    assert.equal(c?.weight, 0);
  });

  it('uses spec.replicas for versions without their own scaling', () => {
    const [a] = resolveVersions(spec({ versions: [{ name: 'a', model: model(1) }], replicas: 4 }));
    assert.deepEqual(a?.scaling, { kind: 'Fixed', replicas: 4 });
  });

  it('maps GPUs and MIG to their resource names and defaults the provider to cuda', () => {
    const [gpu] = resolveVersions(spec({ versions: [{ name: 'a', model: model(1) }], gpu: { products: ['Tesla-T4'], memoryMiB: 15000 } }));
    assert.deepEqual(gpu?.gpu, { resourceName: 'nvidia.com/gpu', count: 1, products: ['Tesla-T4'], memoryMiB: 15000 });
    assert.equal(gpu?.runtime.executionProvider, 'cuda');
    const [mig] = resolveVersions(
      spec({ versions: [{ name: 'a', model: model(1), runtime: { executionProvider: 'cpu' } }], gpu: { mig: '1g.10gb', count: 2 } }),
    );
    assert.deepEqual(mig?.gpu, { resourceName: 'nvidia.com/mig-1g.10gb', count: 2, products: [], mig: '1g.10gb' });
    assert.equal(mig?.runtime.executionProvider, 'cpu', 'an explicit provider wins');
    const [none] = resolveVersions(spec({ versions: [{ name: 'a', model: model(1) }], gpu: { count: 0 } }));
    assert.equal(none?.gpu, undefined);
  });

  it('marks the mirror target with its percent', () => {
    const resolved = resolveVersions(
      spec({
        versions: [
          { name: 'a', model: model(1), weight: 100 },
          { name: 'b', model: model(2) },
        ],
        traffic: { mirror: { version: 'b', percent: 20 } },
      }),
    );
    assert.deepEqual(
      resolved.map((version) => [version.name, version.weight, version.mirrorPercent]),
      [
        ['a', 100, 0],
        ['b', 0, 20],
      ],
    );
  });
});

describe('defaults', () => {
  const specNode = inferenceServiceSchema.node.properties?.spec;
  const schemaDefault = (path: string): unknown => path.split('.').reduce((node, field) => node?.properties?.[field], specNode)?.default;

  it("come from the schema alone: a spec nobody defaulted resolves to the schema's values", () => {
    // Hand-built, not validated: only resolveVersions' own use of the schema can fill it in.
    const raw: InferenceServiceSpec = {
      versions: [
        { name: 'a', model: model(1), weight: 100 },
        { name: 'b', model: model(2), autoscaling: { maxReplicas: 4 } },
      ],
      resources: { requests: { cpu: '1' } },
      gpu: {},
      traffic: { mirror: { version: 'b' } },
    };
    const [, mirror] = resolveVersions(raw);
    assert.equal(mirror?.mirrorPercent, schemaDefault('traffic.mirror.percent'));
    assert.deepEqual(mirror?.scaling.kind === 'Autoscaled' && [mirror.scaling.minReplicas, mirror.scaling.metric], [
      schemaDefault('autoscaling.minReplicas'),
      schemaDefault('autoscaling.metric'),
    ]);
    assert.equal(mirror?.gpu?.count, schemaDefault('gpu.count'));
    assert.equal(withSchemaDefaults(raw).router.replicas, schemaDefault('router.replicas'));
    assert.deepEqual(resolveVersions(raw), resolveVersions(spec(raw)), 'the same as after admission');
  });
});

describe('formatTrafficSummary', () => {
  it('prints weights, and the mirror target with its percent', () => {
    assert.equal(
      formatTrafficSummary([
        { name: 'v1', weight: 90 },
        { name: 'v2', weight: 10 },
      ]),
      'v1=90,v2=10',
    );
    assert.equal(
      formatTrafficSummary(
        [
          { name: 'v1', weight: 100 },
          { name: 'v3', weight: 0 },
        ],
        { version: 'v3', percent: 20 },
      ),
      'v1=100,v3=mirror:20',
    );
  });
});
