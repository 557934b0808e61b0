// The apiserver alone is the real one: CRD CEL validation, server-side apply field
// ownership, RBAC, TLS. One control plane (etcd + kube-apiserver) for the whole file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, ApiextensionsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { eventually } from '../../tools/cluster/eventually.ts';
import { startControlPlane } from '../../tools/cluster/index.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';

const CEL_MESSAGE = 'minReplicas must not exceed maxReplicas';

const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.kubeinfer.io' },
  spec: {
    group: 'test.kubeinfer.io',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { minReplicas: { type: 'integer' }, maxReplicas: { type: 'integer' } },
                // client-node's model name for x-kubernetes-validations: raw JSON keys would be dropped.
                x_kubernetes_validations: [{ rule: 'self.minReplicas <= self.maxReplicas', message: CEL_MESSAGE }],
              },
            },
          },
        },
      },
    ],
  },
};

function widget(name: string, minReplicas: number, maxReplicas: number): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: 'test.kubeinfer.io/v1',
    kind: 'Widget',
    metadata: { name, namespace: 'default' },
    spec: { minReplicas, maxReplicas },
  };
}

function configMap(value: string): KubernetesObject & { data: Record<string, string> } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'default' }, data: { mode: value } };
}

async function rejection(promise: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return error as ApiException<string>;
    throw error;
  }
  assert.fail('expected the apiserver to refuse the request');
}

describe('kube-apiserver (etcd + apiserver only)', () => {
  let cp: ControlPlane;
  let objects: KubernetesObjectApi;

  before(async () => {
    cp = await startControlPlane();
    objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig());
  });
  after(() => cp?.stop());

  it('serves TLS on loopback with our CA and an admin identity', async () => {
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const namespaces = await cp.kubeConfig().makeApiClient(CoreV1Api).listNamespace();
    assert.ok(namespaces.items.some((ns) => ns.metadata?.name === 'kube-system'));
  });

  it('rejects an object that breaks a CRD CEL rule, with the rule message', async () => {
    const crds = cp.kubeConfig().makeApiClient(ApiextensionsV1Api);
    await crds.createCustomResourceDefinition({ body: widgetCrd });
    await eventually(async () => {
      const crd = await crds.readCustomResourceDefinition({ name: 'widgets.test.kubeinfer.io' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? crd : undefined;
    }, 'the CRD to be Established');
    // Discovery of the new kind can lag behind Established: retry until the create is served.
    await eventually(() => objects.create(widget('good', 1, 3)), 'a valid Widget to be accepted');

    const refused = await rejection(objects.create(widget('bad', 5, 2)));
    assert.equal(refused.code, 422);
    assert.match(refused.body, new RegExp(CEL_MESSAGE));
    await assert.rejects(
      objects.read({ apiVersion: 'test.kubeinfer.io/v1', kind: 'Widget', metadata: { name: 'bad', namespace: 'default' } }),
      (error: unknown) => error instanceof ApiException && error.code === 404,
    );
  });

  it('reports a server-side apply conflict between two field managers', async () => {
    await objects.patch(configMap('blue'), undefined, undefined, 'team-a', false, PatchStrategy.ServerSideApply);

    const conflict = await rejection(
      objects.patch(configMap('green'), undefined, undefined, 'team-b', false, PatchStrategy.ServerSideApply),
    );
    assert.equal(conflict.code, 409);
    const status = JSON.parse(conflict.body) as { reason: string; message: string };
    assert.equal(status.reason, 'Conflict');
    assert.match(status.message, /conflict with "team-a"/);
    assert.match(status.message, /\.data\.mode/);

    // Forcing takes the field over: the value changes and team-b becomes its manager.
    const forced = await objects.patch(configMap('green'), undefined, undefined, 'team-b', true, PatchStrategy.ServerSideApply);
    assert.equal(forced.data.mode, 'green');
    const managers = forced.metadata?.managedFields?.map((entry) => entry.manager) ?? [];
    assert.ok(managers.includes('team-b'));
  });

  it('enforces RBAC: a user with no bindings is forbidden, the admin is not', async () => {
    const alice = await cp.kubectl(['--as=alice', 'get', 'configmaps', '-n', 'default']);
    assert.notEqual(alice.code, 0);
    assert.match(alice.stderr, /forbidden: User "alice" cannot list resource "configmaps"/);
    const admin = await cp.kubectl(['auth', 'can-i', 'delete', 'nodes']);
    assert.equal(admin.stdout.trim(), 'yes');
  });
});
