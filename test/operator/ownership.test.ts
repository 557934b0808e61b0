// The operator never takes over objects it does not own, on a real control
// plane. A user who may only create InferenceServices names one after a team's
// existing Service, Deployment and ConfigMap: the apiserver lets the user
// create it (RBAC on InferenceServices only), and the operator, which could
// write those objects, must leave them untouched and report Stalled/NotOwned.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import type { KubeClient } from '../../kube/client.ts';
import { ConfigMapKind, DeploymentKind, EventKind, NetworkPolicyKind, ServiceKind, type ResourceKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  eventually,
  inferenceService,
  names,
  read,
  startClusterWithCrd,
  startTestOperator,
  waitCondition,
} from './harness.ts';

const USER = 'mallory';

/** A team's objects that happen to carry the names the InferenceService `fraud` would use. */
function teamObjects(namespace: string): KubeObject[] {
  const labels = { app: 'payments' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fraud', namespace },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 9000 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fraud-v1', namespace },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'payments', image: 'registry.example/payments:1' }] } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fraud-router', namespace },
      data: { 'payments.json': '{"team": "payments"}' },
    },
  ];
}

const KINDS: Readonly<Record<string, ResourceKind>> = { Service: ServiceKind, Deployment: DeploymentKind, ConfigMap: ConfigMapKind };

function resourceNamed(kind: string): ResourceKind {
  const resource = KINDS[kind];
  assert.ok(resource, `a kind this test knows: ${kind}`);
  return resource;
}

describe('operator ownership', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator;

  before(async () => {
    cp = await startClusterWithCrd({ scheduler: false, kwok: false });
    admin = adminClient(cp);
    operator = await startTestOperator(cp, { secretRecheckMs: 500 });
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  async function grantCreateInferenceServices(namespace: string): Promise<void> {
    const role = await cp.kubectl([
      'create',
      'role',
      'isvc-author',
      '-n',
      namespace,
      '--verb=create,get,list,watch',
      '--resource=inferenceservices.serving.kubeinfer.io',
    ]);
    assert.equal(role.code, 0, role.stderr);
    const binding = await cp.kubectl(['create', 'rolebinding', 'isvc-author', '-n', namespace, '--role=isvc-author', `--user=${USER}`]);
    assert.equal(binding.code, 0, binding.stderr);
  }

  it('leaves a pre-existing Service, Deployment and ConfigMap untouched and reports Stalled NotOwned', async () => {
    const ns = await createNamespace(cp, 'takeover');
    const before = await Promise.all(teamObjects(ns).map((object) => applyAsUser(admin, object)));
    await grantCreateInferenceServices(ns);

    // The user cannot edit the team's Service directly...
    const direct = await cp.kubectl(['--as', USER, 'patch', 'service', 'fraud', '-n', ns, '-p', '{"spec":{"selector":{"app":"mallory"}}}']);
    assert.notEqual(direct.code, 0);
    assert.match(direct.stderr, /forbidden/i);
    // ...but may create an InferenceService named after it.
    const isvc = inferenceService(ns, 'fraud', [{ name: 'v1' }]);
    const created = await cp.kubectl(['--as', USER, 'create', '-f', '-'], { input: JSON.stringify(isvc) });
    assert.equal(created.code, 0, created.stderr);

    const stalled = await waitCondition(admin, ns, 'fraud', 'Stalled', 'True');
    assert.equal(stalled.reason, 'NotOwned');
    for (const name of ['Service fraud', 'Deployment fraud-v1', 'ConfigMap fraud-router'])
      assert.ok(stalled.message.includes(name), stalled.message);

    for (const original of before) {
      const live = await read(admin, resourceNamed(original.kind), ns, original.metadata.name);
      // Controllers may write a Deployment's status; what the team wrote must stay as it was, written by no one else.
      assert.equal(live?.metadata.generation, original.metadata.generation, `${original.kind} ${original.metadata.name} was changed`);
      assert.deepEqual([live?.spec, live?.data], [original.spec, original.data]);
      assert.equal(live?.metadata.ownerReferences, undefined);
      assert.deepEqual(
        live?.metadata.managedFields?.filter((entry) => entry.manager === 'kubeinfer-operator'),
        [],
      );
    }
    assert.deepEqual(
      await names(admin, DeploymentKind, ns, 'serving.kubeinfer.io/inferenceservice=fraud'),
      [],
      'nothing else is created either',
    );
    const events = await admin.list(EventKind, { namespace: ns, fieldSelector: 'involvedObject.kind=InferenceService,reason=NotOwned' });
    assert.ok(events.ok && events.value.items.length > 0, 'a NotOwned Warning event is recorded');
  });

  it('proceeds once the namesakes are gone', async () => {
    const ns = await createNamespace(cp, 'released');
    await Promise.all(teamObjects(ns).map((object) => applyAsUser(admin, object)));
    await applyAsUser(admin, inferenceService(ns, 'fraud', [{ name: 'v1' }]));
    await waitCondition(admin, ns, 'fraud', 'Stalled', 'True');

    for (const object of teamObjects(ns)) assert.ok((await admin.delete(resourceNamed(object.kind), object.metadata)).ok);
    const service = await eventually(async () => {
      const live = await read(admin, ServiceKind, ns, 'fraud');
      return live?.metadata.ownerReferences?.[0]?.kind === 'InferenceService' ? live : undefined;
    }, 'the operator creates its own Service fraud');
    assert.equal((service.spec as { selector: Record<string, string> }).selector['serving.kubeinfer.io/component'], 'router');
    // The model pods' NetworkPolicy is among the children: only the router may reach them.
    const policy = await eventually(() => read(admin, NetworkPolicyKind, ns, 'fraud'), 'NetworkPolicy fraud');
    const spec = policy.spec as {
      podSelector: { matchLabels: Record<string, string> };
      ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[];
    };
    assert.equal(spec.podSelector.matchLabels['serving.kubeinfer.io/component'], 'model');
    assert.deepEqual(
      spec.ingress.map((rule) => rule.from[0]?.podSelector.matchLabels['serving.kubeinfer.io/component']),
      ['router'],
    );
  });
});
