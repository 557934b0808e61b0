// Status reports what the kubelet reports about a version's pods: a model that
// cannot be fetched (with fetch-model's termination message, credentials
// removed, and the attempt count), an image the node cannot get, a model server
// that crash-loops; and it recovers when the pod does. The control plane is
// real; the node's kubelet is played by the test (see kubelet.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InferenceService } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { EventKind, InferenceServiceKind } from '../../kube/resources.ts';
import { kubeinfer } from '../api/run-cli.ts';
import { applyAsUser, createNamespace, eventually, inferenceService, operatorCluster, read, RUNTIME_IMAGE, waitReady } from './harness.ts';
import { boundPod, fetchCrashLooping, initFailing, kubeletWrites, ON_PLAYED_NODE, registerPlayedNode, runtimeState } from './kubelet.ts';

const TOKEN = 'tok-s3cr3t-4242';

describe('status reports what the kubelet reports', () => {
  const cluster = operatorCluster();
  const admin = (): KubeClient => cluster.admin;
  let stopHeartbeat = () => {};
  before(async () => (stopHeartbeat = await registerPlayedNode(cluster.cp, admin())));
  after(() => stopHeartbeat());

  async function stalledAs(namespace: string, name: string, reason: string, matching: RegExp): Promise<InferenceService> {
    return eventually(
      async () => {
        const isvc = (await read(admin(), InferenceServiceKind, namespace, name)) as unknown as InferenceService | undefined;
        const stalled = isvc?.status?.conditions?.find((condition) => condition.type === 'Stalled');
        return stalled?.status === 'True' && stalled.reason === reason && matching.test(stalled.message) ? isvc : undefined;
      },
      `Stalled=${reason} on ${namespace}/${name} matching ${matching}`,
      30_000,
    );
  }

  async function warningCount(namespace: string, name: string, reason: string): Promise<number> {
    const listed = await admin().list(EventKind, { namespace, fieldSelector: `involvedObject.name=${name},reason=${reason}` });
    assert.ok(listed.ok);
    return listed.value.items.length;
  }

  it('a model fetch that fails: ModelFetchFailed with the termination message, attempts counted, secrets removed, one Event', async () => {
    const ns = await createNamespace(cluster.cp, 'fetch');
    const created = await cluster.cp.kubectl([
      'create',
      'secret',
      'generic',
      'http-models',
      '-n',
      ns,
      `--from-literal=HTTP_BEARER_TOKEN=${TOKEN}`,
    ]);
    assert.equal(created.code, 0, created.stderr);
    // Only a Secret that opts in may serve as storage credentials.
    const labelled = await cluster.cp.kubectl([
      'label',
      'secret',
      'http-models',
      '-n',
      ns,
      'serving.kubeinfer.io/storage-credentials=true',
    ]);
    assert.equal(labelled.code, 0, labelled.stderr);
    const uri = 'https://models.example/fraud/model.onnx?X-Amz-Signature=5f1e2d';
    await applyAsUser(
      admin(),
      inferenceService(ns, 'fraud', [{ name: 'v1', uri }], { scheduling: ON_PLAYED_NODE, storage: { secretRef: { name: 'http-models' } } }),
    );
    const pod = await boundPod(admin(), ns, 'fraud');

    // A server that echoes the token it refused, and a URI that carries a signature: neither may reach status.
    const refused = `fetch ${uri}: AccessDenied: access denied (HTTP 401, invalid token ${TOKEN}) using Secret key HTTP_BEARER_TOKEN`;
    await kubeletWrites(cluster.cp, pod, fetchCrashLooping(RUNTIME_IMAGE, refused, 2));
    const stalled = await stalledAs(ns, 'fraud', 'ModelFetchFailed', /2 failed attempts/);
    const version = stalled.status?.versions?.[0];
    assert.equal(version?.reason, 'ModelFetchFailed');
    assert.match(
      version?.message ?? '',
      /the model cannot be fetched \(pod fraud-v1-\S+, init container fetch-model, 2 failed attempts\): fetch https:\/\/models\.example\/fraud\/model\.onnx\?\[redacted\]: AccessDenied: access denied \(HTTP 401, invalid token \[redacted\]\)/,
    );
    await kubeletWrites(cluster.cp, pod, fetchCrashLooping(RUNTIME_IMAGE, refused, 3));
    await stalledAs(ns, 'fraud', 'ModelFetchFailed', /3 failed attempts/);

    const everything = JSON.stringify({
      status: await read(admin(), InferenceServiceKind, ns, 'fraud').then((isvc) => isvc?.status),
      events: await admin().list(EventKind, { namespace: ns }),
    });
    for (const secret of [TOKEN, '5f1e2d']) assert.ok(!everything.includes(secret), `${secret} leaked into status or Events`);
    assert.equal(await warningCount(ns, 'fraud', 'ModelFetchFailed'), 1, 'a further failed attempt is not a new Event');

    const shown = await kubeinfer(['status', 'fraud', '-n', ns, '--kubeconfig', cluster.cp.kubeconfigPath]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /v1 +100 +false +0\/1 +ModelFetchFailed/);
    assert.match(shown.stdout, /v1: ModelFetchFailed: the model cannot be fetched .*HTTP 401/);
  });

  it('an image the node does not have: ImagePullFailed with the kubelet message', async () => {
    const ns = await createNamespace(cluster.cp, 'pull');
    await applyAsUser(admin(), inferenceService(ns, 'fraud', [{ name: 'v1' }], { scheduling: ON_PLAYED_NODE }));
    const pod = await boundPod(admin(), ns, 'fraud');
    const never = `Container image "${RUNTIME_IMAGE}" is not present with pull policy of Never`;
    await kubeletWrites(
      cluster.cp,
      pod,
      initFailing(RUNTIME_IMAGE, { state: { waiting: { reason: 'ErrImageNeverPull', message: never } } }),
    );
    const stalled = await stalledAs(ns, 'fraud', 'ImagePullFailed', /ErrImageNeverPull/);
    assert.ok(stalled.status?.versions?.[0]?.message?.includes(never));
  });

  it('a model server that crash-loops: ModelLoadFailed with its last words, then Ready once it serves', async () => {
    const ns = await createNamespace(cluster.cp, 'load');
    await applyAsUser(admin(), inferenceService(ns, 'fraud', [{ name: 'v1' }], { scheduling: ON_PLAYED_NODE }));
    const pod = await boundPod(admin(), ns, 'fraud');
    const lastWords = "model 'fraud' failed to load: Load model from /mnt/models/model.onnx failed: Protobuf parsing failed";
    const crashed = {
      restartCount: 1,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', message: lastWords } },
    };
    await kubeletWrites(cluster.cp, pod, runtimeState(RUNTIME_IMAGE, crashed, false));
    await stalledAs(ns, 'fraud', 'ModelLoadFailed', /Protobuf parsing failed/);

    await kubeletWrites(
      cluster.cp,
      pod,
      runtimeState(RUNTIME_IMAGE, { restartCount: 2, state: { running: { startedAt: new Date().toISOString() } } }, true),
    );
    const ready = await waitReady(admin(), ns, 'fraud', 30_000);
    assert.equal(
      ready.status?.conditions?.some((condition) => condition.type === 'Stalled'),
      false,
      'the stall clears with its cause',
    );
    assert.equal(ready.status?.versions?.[0]?.reason, undefined);
  });
});
