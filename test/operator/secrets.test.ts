// Storage credentials on a real control plane: a Secret is usable as
// spec.storage.secretRef only once it carries the opt-in label, so no one can
// have the operator mount a Secret they cannot read; and no secret value (a
// URI's password, a presigned signature, a Secret's data) reaches the
// InferenceService's status or its Events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import type { KubeClient } from '../../kube/client.ts';
import { DeploymentKind, EventKind, InferenceServiceKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  inferenceService,
  eventually,
  names,
  read,
  startClusterWithCrd,
  startTestOperator,
  waitCondition,
} from './harness.ts';
import { capture } from '../capture.ts';
import { SECRET_VALUES } from '../secret-values.ts';

const { uriPassword: PASSWORD, presignedSignature: SIGNATURE, storageBearer: TOKEN } = SECRET_VALUES;
const OPT_IN = { 'serving.kubeinfer.io/storage-credentials': 'true' };

describe('operator storage credentials', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator & { logs: Record<string, unknown>[] };

  before(async () => {
    cp = await startClusterWithCrd({ scheduler: false, kwok: false });
    admin = adminClient(cp);
    operator = await startTestOperator(cp);
  });
  after(async () => {
    // The status (the spec is the user's own input) and the Events, as kubectl shows them, and the operator's log, for the secrets scan.
    const isvcs = await admin?.list(InferenceServiceKind);
    const events = await admin?.list(EventKind);
    const statuses = isvcs?.ok ? isvcs.value.items.map((isvc) => ({ name: isvc.metadata.name, status: isvc.status })) : [];
    capture('operator status and events', JSON.stringify({ statuses, events: events?.ok ? events.value.items : [] }));
    capture('operator log', JSON.stringify(operator?.logs ?? []));
    await operator?.stop();
    await cp?.stop();
  });

  it('refuses a Secret without the opt-in label, mounts it once labelled, and never shows a secret value', async () => {
    const ns = await createNamespace(cp, 'creds');
    const secret = (labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'team-token', namespace: ns, labels },
      stringData: { HTTP_BEARER_TOKEN: TOKEN },
    });
    await applyAsUser(admin, secret({}));
    const uri = `https://reader:${PASSWORD}@models.example/fraud.onnx?X-Amz-Signature=${SIGNATURE}`;
    await applyAsUser(admin, inferenceService(ns, 'fraud', [{ name: 'v1', uri }], { storage: { secretRef: { name: 'team-token' } } }));

    const stalled = await waitCondition(admin, ns, 'fraud', 'Stalled', 'True');
    assert.equal(stalled.reason, 'StorageSecretNotFound');
    assert.match(stalled.message, /lacks the label serving\.kubeinfer\.io\/storage-credentials=true/);
    assert.match(stalled.message, /https:\/\/\*\*\*@models\.example\/fraud\.onnx\?\*\*\*/);
    assert.deepEqual(await names(admin, DeploymentKind, ns), [], 'nothing mounts a Secret that has not opted in');

    await applyAsUser(admin, secret(OPT_IN));
    const deployment = (await eventually(
      () => read(admin, DeploymentKind, ns, 'fraud-v1'),
      'Deployment fraud-v1 once the Secret opted in',
    )) as unknown as { spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } } };
    assert.equal(
      deployment.spec.template.spec.volumes.find((volume) => volume.name === 'storage-credentials')?.secret?.secretName,
      'team-token',
    );

    const isvc = await read(admin, InferenceServiceKind, ns, 'fraud');
    const events = await admin.list(EventKind, { namespace: ns });
    assert.ok(events.ok);
    const visible = JSON.stringify([isvc?.status, events.value.items, operator.logs]);
    for (const value of [PASSWORD, SIGNATURE, TOKEN]) assert.ok(!visible.includes(value), `${value} reached status, Events or logs`);
  });
});
