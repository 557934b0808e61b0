// Why a version is not ready, classified from the objects as the controllers and
// the kubelet write them (shapes copied from a real cluster's `kubectl get -o yaml`),
// and the scrubbing of credentials from everything copied into status.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretValues } from '../../operator/controller/checks.ts';
import { workloadFinding } from '../../operator/controller/failures.ts';
import { redact } from '../../operator/controller/redact.ts';
import type { KubeObject } from '../../kube/types.ts';

const deployment = (conditions: object[] = []): KubeObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fraud-v1', uid: 'd1' }, status: { conditions } }) as KubeObject;
const replicaSet = (conditions: object[] = []): KubeObject =>
  ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'fraud-v1-5d8f', uid: 'r1' }, status: { conditions } }) as KubeObject;
const pod = (status: object): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fraud-v1-5d8f-x2x' }, status }) as KubeObject;
const terminated = (exitCode: number, message?: string, reason = 'Error') => ({
  terminated: { exitCode, reason, ...(message ? { message } : {}) },
});
const container = (name: string, fields: object) => ({
  name,
  image: 'registry.example/kubeinfer-runtime:1',
  ready: false,
  restartCount: 0,
  ...fields,
});
const same = (text: string) => text;
const pick = (finding: { reason: string; stalled: boolean }) => [finding.reason, finding.stalled];

describe('version failures', () => {
  it('names the admission plugin that refuses the pods and what to do', () => {
    const cases: [string, RegExp][] = [
      ['pods "fraud-v1-5d8f-abc" is forbidden: no PriorityClass with name inference-high was found', /create PriorityClass inference-high/],
      [
        'pods "fraud-v1-5d8f-abc" is forbidden: exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=0, limited: requests.cpu=500m',
        /raise ResourceQuota compute/,
      ],
      ['pods "fraud-v1-5d8f-abc" is forbidden: maximum cpu usage per Container is 500m, but limit is 1', /LimitRange/],
      ['pods "fraud-v1-5d8f-abc" is forbidden: violates PodSecurity "restricted:latest": seccompProfile', /Pod Security level/],
    ];
    for (const [message, hint] of cases) {
      const failure = { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message };
      const finding = workloadFinding(deployment(), { replicaSet: replicaSet([failure]), pods: [] }, same);
      assert.equal(finding.reason, 'PodsForbidden');
      assert.equal(finding.stalled, true);
      assert.ok(finding.message.includes(message), finding.message);
      assert.match(finding.message, /ReplicaSet fraud-v1-5d8f/);
      assert.match(finding.message, hint);
    }
    const denied = {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: 'admission webhook "policy.example.com" denied the request: no latest tags',
    };
    assert.deepEqual(
      pick(workloadFinding(deployment([denied]), { pods: [] }, same)),
      ['PodsForbidden', true],
      "the Deployment's copy counts before a ReplicaSet is cached",
    );
    const flaky = {
      type: 'ReplicaFailure',
      status: 'True',
      reason: 'FailedCreate',
      message: 'Internal error occurred: failed calling webhook "policy.example.com": context deadline exceeded',
    };
    const transient = workloadFinding(deployment(), { replicaSet: replicaSet([flaky]), pods: [] }, same);
    assert.deepEqual(pick(transient), ['ReplicaFailure', false], 'a refusal that may pass on the next try keeps reconciling');
    assert.match(transient.message, /context deadline exceeded/);
  });

  it("quotes the scheduler's verdict for a pod that fits no node", () => {
    const message =
      '0/4 nodes are available: 2 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint(s). preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.';
    const pending = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
    const finding = workloadFinding(deployment(), { replicaSet: replicaSet(), pods: [pending] }, same);
    assert.equal(finding.reason, 'Unschedulable');
    assert.ok(finding.message.includes(message));
    assert.match(finding.message, /pod fraud-v1-5d8f-x2x/);
  });

  it('reports an image the kubelet cannot pull, in either container', () => {
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull']) {
      const waiting = container('fetch-model', {
        state: {
          waiting: { reason, message: 'Container image "registry.example/kubeinfer-runtime:1" is not present with pull policy of Never' },
        },
      });
      const finding = workloadFinding(
        deployment(),
        { replicaSet: replicaSet(), pods: [pod({ phase: 'Pending', initContainerStatuses: [waiting] })] },
        same,
      );
      assert.equal(finding.reason, 'ImagePullFailed');
      assert.match(finding.message, new RegExp(`image registry.example/kubeinfer-runtime:1 cannot be pulled .*${reason}`));
    }
  });

  it("carries fetch-model's termination message and the attempt count", () => {
    const message = 'fetch https://models.example/fraud/1/model.onnx: NotFound: HTTP 404 Not Found';
    const crashLooping = container('fetch-model', {
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: terminated(1, message),
    });
    const status = {
      phase: 'Pending',
      initContainerStatuses: [crashLooping],
      containerStatuses: [container('runtime', { state: { waiting: { reason: 'PodInitializing' } } })],
    };
    const finding = workloadFinding(deployment(), { replicaSet: replicaSet(), pods: [pod(status)] }, same);
    assert.equal(finding.reason, 'ModelFetchFailed');
    assert.ok(finding.message.includes(message));
    assert.match(finding.message, /init container fetch-model, 3 failed attempts/);
    const labels = container('fetch-labels', { state: terminated(1, 'fetch https://models.example/labels.txt: NotFound: HTTP 404') });
    const artifact = workloadFinding(
      deployment(),
      {
        replicaSet: replicaSet(),
        pods: [
          pod({ phase: 'Pending', initContainerStatuses: [{ ...crashLooping, state: terminated(0, undefined, 'Completed') }, labels] }),
        ],
      },
      same,
    );
    assert.equal(artifact.reason, 'ModelFetchFailed');
    assert.match(
      artifact.message,
      /an artifact of the model \(fetch-labels\) cannot be fetched \(pod \S+, init container fetch-labels, 1 failed attempt\): fetch https:\/\/models\.example\/labels\.txt/,
    );
  });

  it('reports a model server that exits, out of memory or with its own message', () => {
    const loadError = "model 'fraud' failed to load: Load model from /mnt/models/model.onnx failed: Protobuf parsing failed";
    const crashed = container('runtime', {
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: terminated(1, loadError),
    });
    const finding = workloadFinding(
      deployment(),
      { replicaSet: replicaSet(), pods: [pod({ phase: 'Running', containerStatuses: [crashed] })] },
      same,
    );
    assert.equal(finding.reason, 'ModelLoadFailed');
    assert.ok(finding.message.includes(loadError));
    const probed = container('runtime', {
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: terminated(0, undefined, 'Completed'),
    });
    const killed = workloadFinding(
      deployment(),
      { replicaSet: replicaSet(), pods: [pod({ phase: 'Running', containerStatuses: [probed] })] },
      same,
    );
    assert.equal(killed.reason, 'ModelLoadFailed', 'restarted by failing probes although serve drains and exits 0');
    assert.match(killed.message, /4 failed attempts.*startup or liveness probe failed/);
    const oom = container('runtime', { state: { running: {} }, lastState: terminated(137, undefined, 'OOMKilled') });
    assert.match(
      workloadFinding(deployment(), { replicaSet: replicaSet(), pods: [pod({ phase: 'Running', containerStatuses: [oom] })] }, same)
        .message,
      /out of memory.*OOMKilled.*limits\.memory/,
    );
  });

  it('leaves a pod that is starting, or one that recovered, to Progressing', () => {
    const loading = container('runtime', { state: { running: {} } });
    const finding = workloadFinding(
      deployment(),
      { replicaSet: replicaSet(), pods: [pod({ phase: 'Running', containerStatuses: [loading] })] },
      same,
    );
    assert.deepEqual([finding.reason, finding.stalled], ['Progressing', false]);
    assert.match(finding.message, /loading the model/);
    const recovered = container('runtime', { ready: true, restartCount: 1, state: { running: {} }, lastState: terminated(1, 'once') });
    assert.equal(
      workloadFinding(deployment(), { replicaSet: replicaSet(), pods: [pod({ phase: 'Running', containerStatuses: [recovered] })] }, same)
        .reason,
      'Progressing',
    );
  });

  it('falls back to the progress deadline when nothing more specific is known', () => {
    const stuck = {
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "fraud-v1-5d8f" has timed out progressing.',
    };
    const finding = workloadFinding(deployment([stuck]), { replicaSet: replicaSet(), pods: [] }, same);
    assert.equal(finding.reason, 'ProgressDeadlineExceeded');
    assert.equal(finding.stalled, true);
  });
});

describe('redact', () => {
  it('removes known secret values and anything shaped like a credential', () => {
    const text =
      'fetch https://alice:hunter22@models.example/m.onnx?X-Amz-Signature=abc123&X-Amz-Credential=AKIAABCDEFGHIJKLMNOP: AccessDenied using Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload and s3cr3t-value';
    const clean = redact(text, ['s3cr3t-value']);
    for (const secret of ['hunter22', 'abc123', 'AKIAABCDEFGHIJKLMNOP', 'eyJhbGciOiJIUzI1NiJ9', 's3cr3t-value'])
      assert.ok(!clean.includes(secret), `${secret} in ${clean}`);
    assert.match(clean, /https:\/\/\[redacted\]@models\.example\/m\.onnx\?\[redacted\]: AccessDenied/);
    assert.equal(redact('a\n  b'), 'a b');
  });

  it('scrubs every value of the storage Secret except the settings a person needs to see', () => {
    const values = secretValues([
      ['AWS_ACCESS_KEY_ID', 'minio-admin'],
      ['AWS_SECRET_ACCESS_KEY', 'minio-secret'],
      ['AWS_ENDPOINT_URL', 'http://minio.minio:9000'],
      ['AWS_REGION', 'eu-west-1'],
    ]);
    assert.equal(
      redact('access denied at http://minio.minio:9000 (eu-west-1) for minio-admin/minio-secret', values),
      'access denied at http://minio.minio:9000 (eu-west-1) for [redacted]/[redacted]',
    );
  });
});
