// Pure parts of local mode: what runs for a manifest, and the printed example request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateInferenceService } from '../../api/index.ts';
import type { InferenceService } from '../../api/index.ts';
import { curlExamples, exampleInferBody } from '../../runtime/local/example.ts';
import { planLocalRun, routerConfigFor, sameRuntimes } from '../../runtime/local/plan.ts';
import type { LocalPlan } from '../../runtime/local/plan.ts';

function service(spec: Record<string, unknown>): InferenceService {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'fraud' },
    spec,
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.value;
}

function plan(spec: Record<string, unknown>): LocalPlan {
  const planned = planLocalRun(service(spec));
  assert.ok(planned.ok, JSON.stringify(!planned.ok && planned.problems));
  return planned.plan;
}

const versions = [
  { name: 'v1', model: { uri: 'file://./v1.onnx' }, weight: 90 },
  {
    name: 'v2',
    model: { uri: 'https://models.example.com/v2.onnx', sha256: 'a'.repeat(64) },
    weight: 10,
    runtime: { workers: 4, batching: { maxBatchSize: 16, maxQueueDelayMicros: 500 } },
  },
  { name: 'v3', model: { uri: 's3://models/v3.onnx' } },
];

test('each version gets the runtime settings the operator would give its pods', () => {
  const planned = plan({
    versions,
    runtime: { workers: 2, maxQueueSize: 64, maxRequestBytes: 1024 },
    traffic: { mirror: { version: 'v3', percent: 25 } },
  });
  assert.deepEqual(
    planned.versions.map((v) => [v.name, v.weight, v.env]),
    [
      [
        'v1',
        90,
        {
          KUBEINFER_EXECUTION_PROVIDER: 'cpu',
          KUBEINFER_WORKERS: '2',
          KUBEINFER_MAX_QUEUE_SIZE: '64',
          KUBEINFER_MAX_REQUEST_BYTES: '1024',
        },
      ],
      [
        'v2',
        10,
        {
          KUBEINFER_EXECUTION_PROVIDER: 'cpu',
          KUBEINFER_WORKERS: '4',
          KUBEINFER_MAX_BATCH_SIZE: '16',
          KUBEINFER_MAX_QUEUE_DELAY_MICROS: '500',
        },
      ],
      [
        'v3',
        0,
        {
          KUBEINFER_EXECUTION_PROVIDER: 'cpu',
          KUBEINFER_WORKERS: '2',
          KUBEINFER_MAX_QUEUE_SIZE: '64',
          KUBEINFER_MAX_REQUEST_BYTES: '1024',
        },
      ],
    ],
  );
  assert.equal(planned.versions[1]!.sha256, 'a'.repeat(64));
  assert.deepEqual(planned.mirror, { version: 'v3', percent: 25 });
});

test('the router configuration matches DESIGN.md and points at the local runtimes', () => {
  const planned = plan({ versions, traffic: { mirror: { version: 'v3' } } });
  const backend = (port: number) => ({ url: `http://127.0.0.1:${port}`, grpcUrl: `http://127.0.0.1:${port + 1}` });
  const backends = new Map([
    ['v1', backend(1001)],
    ['v2', backend(1003)],
    ['v3', backend(1005)],
  ]);
  assert.deepEqual(routerConfigFor(planned, backends), {
    model: 'fraud',
    versions: [
      { name: 'v1', weight: 90, url: 'http://127.0.0.1:1001', grpcUrl: 'http://127.0.0.1:1002' },
      { name: 'v2', weight: 10, url: 'http://127.0.0.1:1003', grpcUrl: 'http://127.0.0.1:1004' },
      { name: 'v3', weight: 0, url: 'http://127.0.0.1:1005', grpcUrl: 'http://127.0.0.1:1006' },
    ],
    mirror: { version: 'v3', percent: 100 },
  });
});

test('weight and mirror edits apply live; model or runtime edits need a restart', () => {
  const before = plan({ versions });
  assert.ok(sameRuntimes(before, plan({ versions: [{ ...versions[0]!, weight: 50 }, { ...versions[1]!, weight: 50 }, versions[2]] })));
  assert.ok(sameRuntimes(before, plan({ versions, traffic: { mirror: { version: 'v3', percent: 5 } } })));
  assert.ok(
    !sameRuntimes(before, plan({ versions: [{ ...versions[0]!, model: { uri: 'file://./other.onnx' } }, versions[1], versions[2]] })),
  );
  assert.ok(!sameRuntimes(before, plan({ versions, runtime: { workers: 8 } })));
});

test('pvc:// models are refused with what to use instead', () => {
  const planned = planLocalRun(service({ versions: [{ name: 'v1', model: { uri: 'pvc://models/fraud.onnx' } }] }));
  assert.deepEqual(planned, {
    ok: false,
    problems: ['version v1: pvc://models/fraud.onnx: pvc:// models need a cluster; in local mode use file://, http(s)://, s3:// or gs://'],
  });
});

test('the printed example request fits the model inputs', () => {
  assert.equal(
    exampleInferBody([
      { name: 'x', datatype: 'FP32', shape: [-1, 3] },
      { name: 'flag', datatype: 'BOOL', shape: [1] },
      { name: 'text', datatype: 'BYTES', shape: [-1] },
    ]),
    '{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]},{"name":"flag","shape":[1],"datatype":"BOOL","data":[true]},{"name":"text","shape":[1],"datatype":"BYTES","data":["text 1"]}]}',
  );
  assert.equal(exampleInferBody([{ name: 'image', datatype: 'FP32', shape: [1, 3, 224, 224] }]), undefined);
  assert.deepEqual(curlExamples('http://127.0.0.1:8080', 'resnet', 'v2', [{ name: 'image', datatype: 'FP32', shape: [1, 3, 224, 224] }]), [
    'curl -s http://127.0.0.1:8080/v2/models/resnet          # metadata: the inputs are too large to type here',
  ]);
});
