// Pure controller logic: drift detection, quantities, status (kstatus), the
// operator-detectable problems, and the promote/rollback patch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { desiredObjects } from '../../operator/builders/index.ts';
import { formatStatus } from '../../operator/cli/status.ts';
import { allTrafficTo } from '../../operator/cli/traffic-patch.ts';
import { credentialsProblem, gpuProblem } from '../../operator/controller/checks.ts';
import { applyReason } from '../../operator/controller/drift.ts';
import { workloadFinding } from '../../operator/controller/failures.ts';
import { checkSpec } from '../../operator/controller/spec.ts';
import { parseQuantity, sameQuantity } from '../../operator/controller/quantity.ts';
import { desiredStatus, workloadProgress } from '../../operator/controller/status.ts';
import type { KubeObject } from '../../kube/types.ts';

function isvc(spec: Record<string, unknown>): InferenceService {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'fraud', namespace: 'ml', generation: 4 },
    spec,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const twoVersions = () =>
  isvc({
    versions: [
      { name: 'v1', model: { uri: 's3://m/1.onnx' }, weight: 90 },
      { name: 'v2', model: { uri: 's3://m/2.onnx' }, weight: 10 },
    ],
  });

describe('quantities', () => {
  it('compares canonical and written forms', () => {
    assert.equal(parseQuantity('1Gi'), 1073741824);
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('abc'), undefined);
    assert.ok(sameQuantity('1000m', '1'));
    assert.ok(sameQuantity('1024Mi', '1Gi'));
    assert.ok(sameQuantity(2, '2'));
    assert.ok(!sameQuantity('1G', '1Gi'));
  });
});

describe('applyReason', () => {
  const deployment = desiredObjects(twoVersions(), { runtimeImage: 'img:1' }).find((object) => object.kind === 'Deployment');
  assert.ok(deployment, 'desiredObjects includes a Deployment');
  const asLive = (object: KubeObject, edit: (copy: any) => void = () => {}): KubeObject => {
    const copy = structuredClone(object) as any;
    copy.metadata.uid = 'u';
    copy.metadata.resourceVersion = '7';
    copy.spec.progressDeadlineSeconds = 600; // defaulted by the apiserver
    copy.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    copy.spec.template.spec.containers[0].resources.requests.memory = '1073741824'; // canonicalized
    copy.status = { replicas: 1 };
    edit(copy);
    return copy;
  };

  it('applies a missing object and one whose configuration hash changed', () => {
    assert.equal(applyReason(deployment, undefined), 'missing');
    assert.equal(
      applyReason(
        deployment,
        asLive(deployment, (c) => (c.metadata.annotations['serving.kubeinfer.io/applied-hash'] = 'old')),
      ),
      'changed',
    );
  });

  it('leaves alone what the apiserver defaulted or canonicalized and what others added', () => {
    const live = asLive(deployment, (c) => {
      c.metadata.annotations['deployment.kubernetes.io/revision'] = '1';
      c.spec.template.spec.containers.push({ name: 'sidecar', image: 'proxy' });
    });
    assert.equal(applyReason(deployment, live), undefined);
  });

  it('restores fields edited or removed by hand', () => {
    assert.equal(
      applyReason(
        deployment,
        asLive(deployment, (c) => (c.spec.template.spec.containers[0].image = 'other:2')),
      ),
      'drifted',
    );
    assert.equal(
      applyReason(
        deployment,
        asLive(deployment, (c) => delete c.metadata.labels['app.kubernetes.io/part-of']),
      ),
      'drifted',
    );
    assert.equal(
      applyReason(
        deployment,
        asLive(deployment, (c) => (c.spec.replicas = 5)),
      ),
      'drifted',
    );
    assert.equal(
      applyReason(
        deployment,
        asLive(deployment, (c) => c.spec.template.spec.containers[0].env.pop()),
      ),
      'drifted',
    );
  });
});

describe('status', () => {
  const deployment = (generation: number, spec: number, status: Record<string, unknown>): KubeObject =>
    ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generation }, spec: { replicas: spec }, status }) as KubeObject;
  const ready = (replicas: number) =>
    deployment(2, replicas, {
      observedGeneration: 2,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
    });

  it('counts a Deployment ready only when its controller saw the spec and old pods are gone', () => {
    assert.equal(workloadProgress(ready(2)).ready, true);
    assert.equal(
      workloadProgress(deployment(3, 2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 })).ready,
      false,
    );
    assert.equal(
      workloadProgress(deployment(2, 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 })).ready,
      false,
    );
    assert.equal(
      workloadProgress(deployment(2, 4, { observedGeneration: 2, replicas: 4, updatedReplicas: 4, availableReplicas: 2 }), 2).ready,
      true,
      'an HPA floor of 2 is met',
    );
    assert.equal(
      workloadProgress(deployment(2, 1, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }), 2).ready,
      false,
      'not before the HPA reaches its floor',
    );
  });

  const inputs = (deployments: Record<string, KubeObject | undefined>, problems: { reason: string; message: string }[] = []) => ({
    deployment: (name: string) => deployments[name],
    diagnose: (live: KubeObject | undefined) => workloadFinding(live, { pods: [] }, (text: string) => text),
    versionDeploymentName: (version: string) => `fraud-${version}`,
    routerDeploymentName: 'fraud-router',
    url: 'http://fraud.ml.svc.cluster.local',
    problems,
    now: new Date('2026-01-02T03:04:05.678Z'),
  });

  it('is Ready with per-version counts once everything is ready', () => {
    const status = desiredStatus(twoVersions(), inputs({ 'fraud-v1': ready(2), 'fraud-v2': ready(1), 'fraud-router': ready(1) }));
    assert.equal(status.observedGeneration, 4);
    assert.equal(status.url, 'http://fraud.ml.svc.cluster.local');
    assert.equal(status.trafficSummary, 'v1=90,v2=10');
    assert.deepEqual(status.versions, [
      { name: 'v1', weight: 90, replicas: 2, readyReplicas: 2, ready: true },
      { name: 'v2', weight: 10, replicas: 1, readyReplicas: 1, ready: true },
    ]);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]),
      [['Ready', 'True', 'Ready', 4, '2026-01-02T03:04:05Z']],
    );
  });

  it('is Reconciling (abnormal-true) while waiting, naming what it waits for', () => {
    const status = desiredStatus(twoVersions(), inputs({ 'fraud-v1': ready(2), 'fraud-router': ready(1) }));
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'False', 'Progressing'],
        ['Reconciling', 'True', 'Progressing'],
      ],
    );
    assert.match(status.conditions?.[0]?.message ?? '', /version v2 \(0\/0 ready: the Deployment does not exist yet\)/);
    assert.deepEqual([status.versions?.[1]?.reason, status.versions?.[1]?.message], ['Progressing', 'the Deployment does not exist yet']);
  });

  it('is Stalled with the problem, and keeps lastTransitionTime while a condition holds', () => {
    const problem = { reason: 'GPUUnavailable', message: 'no node offers it' };
    const first = desiredStatus(twoVersions(), inputs({}, [problem]));
    assert.deepEqual(
      first.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['Ready', 'False', 'GPUUnavailable'],
        ['Stalled', 'True', 'GPUUnavailable'],
      ],
    );
    const later = desiredStatus({ ...twoVersions(), status: first }, { ...inputs({}, [problem]), now: new Date('2026-02-01T00:00:00Z') });
    assert.deepEqual(later, first);
  });

  it('with several problems, takes the reason from the first and lists every message', () => {
    const problems = [
      { reason: 'GPUUnavailable', message: 'no node offers it.' },
      { reason: 'StorageSecretMissing', message: 'no secret creds.' },
    ];
    const status = desiredStatus(twoVersions(), inputs({}, problems));
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.reason, c.message]),
      [
        ['Ready', 'GPUUnavailable', 'no node offers it. no secret creds.'],
        ['Stalled', 'GPUUnavailable', 'no node offers it. no secret creds.'],
      ],
    );
  });
});

describe('operator-detectable problems', () => {
  const node = (name: string, product: string, memory: number, gpus: number): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'nvidia.com/gpu.product': product, 'nvidia.com/gpu.memory': String(memory) } },
      status: { allocatable: { 'nvidia.com/gpu': String(gpus) } },
    }) as KubeObject;
  const nodes = [node('a', 'NVIDIA-A100-SXM4-80GB', 81920, 4), node('t', 'Tesla-T4', 15360, 1)];
  const gpu = (spec: Record<string, unknown>) => isvc({ versions: [{ name: 'v1', model: { uri: 'https://m/1.onnx' } }], gpu: spec });

  it('reports GPU placement no node can satisfy, and what the nodes do offer', () => {
    assert.equal(gpuProblem(gpu({ products: ['Tesla-T4'] }), nodes), undefined);
    assert.equal(gpuProblem(gpu({ memoryMiB: 40000 }), nodes), undefined);
    const h100 = gpuProblem(gpu({ products: ['NVIDIA-H100-80GB-HBM3'] }), nodes);
    assert.equal(h100?.reason, 'GPUUnavailable');
    assert.match(h100!.message, /NVIDIA-H100-80GB-HBM3/);
    assert.match(h100!.message, /Tesla-T4 \(15360 MiB, 1x nvidia.com\/gpu\)/);
    assert.equal(gpuProblem(gpu({ products: ['Tesla-T4'], count: 2 }), nodes)?.reason, 'GPUUnavailable');
    assert.equal(gpuProblem(gpu({ products: ['Tesla-T4'] }), undefined), undefined, 'no node access: no verdict');
  });

  it('reports a missing credentials Secret or missing keys', () => {
    const s3 = isvc({ versions: [{ name: 'v1', model: { uri: 's3://bucket/m.onnx' } }], storage: { secretRef: { name: 'creds' } } });
    assert.equal(credentialsProblem(s3, { found: false })?.reason, 'StorageSecretNotFound');
    assert.equal(credentialsProblem(s3, { found: true, keys: ['AWS_ACCESS_KEY_ID'] })?.reason, 'StorageCredentialsIncomplete');
    assert.match(
      credentialsProblem(s3, { found: true, keys: ['HTTP_BEARER_TOKEN'] })!.message,
      /no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    assert.equal(credentialsProblem(s3, { found: true, keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] }), undefined);
    const pvc = isvc({ versions: [{ name: 'v1', model: { uri: 'pvc://claim/m.onnx' } }], storage: { secretRef: { name: 'creds' } } });
    assert.equal(credentialsProblem(pvc, { found: false }), undefined, 'nothing is downloaded');
  });

  it('stalls a pvc:// path the schema lets through but no mount can serve', () => {
    const object = (uri: string) => ({
      apiVersion: 'serving.kubeinfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'fraud', namespace: 'ml' },
      spec: { versions: [{ name: 'v1', model: { uri } }] },
    });
    const escaping = checkSpec(object('pvc://models/fraud/../x.onnx') as KubeObject);
    assert.ok(!escaping.ok && escaping.problem.reason === 'InvalidSpec');
    assert.match(
      escaping.problem.message,
      /spec\.versions\[0\]\.model\.uri: the path inside the claim may not contain "\." or "\.\." segments/,
    );
    assert.ok(checkSpec(object('pvc://models//fraud/MODEL.ONNX') as KubeObject).ok, 'empty segments and upper-case names are served');
  });
});

describe('promote / rollback patch', () => {
  it('sets the chosen version to 100 and every other to 0, guarded by tests', () => {
    const patch = allTrafficTo(twoVersions(), 'v2');
    assert.ok(patch.ok);
    assert.deepEqual(patch.operations, [
      { op: 'test', path: '/spec/versions/0/name', value: 'v1' },
      { op: 'add', path: '/spec/versions/0/weight', value: 0 },
      { op: 'test', path: '/spec/versions/1/name', value: 'v2' },
      { op: 'add', path: '/spec/versions/1/weight', value: 100 },
    ]);
  });

  it('ends a mirror onto the promoted version, refuses unknown versions, and sees nothing to do', () => {
    const mirrored = isvc({
      versions: [
        { name: 'v1', model: { uri: 's3://m/1.onnx' }, weight: 100 },
        { name: 'v2', model: { uri: 's3://m/2.onnx' }, weight: 0 },
      ],
      traffic: { mirror: { version: 'v2', percent: 20 } },
    });
    const patch = allTrafficTo(mirrored, 'v2');
    assert.ok(patch.ok && patch.operations.some((op) => op.op === 'remove' && op.path === '/spec/traffic/mirror'));
    const unknown = allTrafficTo(mirrored, 'v9');
    assert.ok(!unknown.ok && /no version "v9"; it has v1, v2/.test(unknown.message));
    const noop = allTrafficTo(mirrored, 'v1');
    assert.ok(noop.ok && noop.unchanged);
  });
});

describe('kubeinfer status with a rollout', () => {
  it("shows the phase, the step, the effective weights, the last analysis and the candidate's share", () => {
    const text = formatStatus({
      ...isvc({
        versions: [
          { name: 'v1', model: { uri: 's3://m/1.onnx' }, weight: 0 },
          { name: 'v2', model: { uri: 's3://m/2.onnx' }, weight: 100 },
        ],
        rollout: { steps: [{ setWeight: 10 }, { pause: { duration: '1m' } }] },
      }),
      status: {
        rollout: {
          candidate: 'v2',
          stable: 'v1',
          phase: 'Paused',
          step: 1,
          target: 'v1=0,v2=100',
          generation: 2,
          failedIntervals: 0,
          candidateRequests: 30,
          totalRequests: 300,
          weights: [
            { name: 'v1', weight: 90 },
            { name: 'v2', weight: 10 },
          ],
          origin: [
            { name: 'v1', weight: 100 },
            { name: 'v2', weight: 0 },
          ],
          analysis: { gate: 'Live', verdict: 'Passed', requests: 30, message: 'success rate 1.000 over 30 requests' },
          message: 'step 2/2: pausing at v1=90,v2=10',
        },
      },
    });
    assert.match(text, /^Rollout: {5}Paused v2 \(stable v1\), step 2\/2, weights v1=90,v2=10, toward v1=0,v2=100$/m);
    assert.match(text, /last analysis: Live Passed: success rate 1\.000 over 30 requests$/m);
    assert.match(text, /live requests to v2: 30 of 300 \(10\.0%\), failed intervals 0$/m);
  });
});
