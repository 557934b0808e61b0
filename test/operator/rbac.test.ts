// The operator runs with exactly the RBAC rules it publishes (operator/controller/rbac.ts,
// which the Helm chart uses): as a ServiceAccount with a namespaced install watching one
// namespace, it converges an InferenceService there and leaves other namespaces alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import { leaderElectionRules, nodeRules, operatorRules } from '../../operator/controller/rbac.ts';
import type { KubeClient } from '../../kube/client.ts';
import { InferenceServiceKind } from '../../kube/resources.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  inferenceService,
  read,
  startClusterWithCrd,
  startTestOperator,
  waitCondition,
  waitReady,
} from './harness.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

describe('operator RBAC', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator | undefined;

  before(async () => {
    cp = await startClusterWithCrd();
    admin = adminClient(cp);
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  async function grant(kind: 'Role' | 'ClusterRole', name: string, namespace: string | undefined, rules: readonly object[]): Promise<void> {
    const metadata = namespace ? { name, namespace } : { name };
    const binding = {
      apiVersion: RBAC,
      kind: kind === 'Role' ? 'RoleBinding' : 'ClusterRoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name },
      subjects: [{ kind: 'ServiceAccount', name: 'kubeinfer-operator', namespace: 'kubeinfer-system' }],
    };
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: RBAC, kind, metadata, rules }, binding] };
    const applied = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(list) });
    assert.equal(applied.code, 0, applied.stderr);
  }

  /** A kubeconfig that authenticates as the operator's ServiceAccount (a bound token). */
  async function serviceAccountKubeConfig(): Promise<KubeConfig> {
    const token = await cp.kubectl(['create', 'token', 'kubeinfer-operator', '-n', 'kubeinfer-system', '--duration=1h']);
    assert.equal(token.code, 0, token.stderr);
    const cluster = cp.kubeConfig().getCurrentCluster()!;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'cp', server: cluster.server, caData: cluster.caData }],
      users: [{ name: 'operator', token: token.stdout.trim() }],
      contexts: [{ name: 'operator', cluster: 'cp', user: 'operator' }],
      currentContext: 'operator',
    });
    return kubeConfig;
  }

  it('converges with only the published rules, in the namespaces it watches', async () => {
    await createNamespace(cp, 'kubeinfer-system');
    const watched = await createNamespace(cp, 'team-a');
    const other = await createNamespace(cp, 'team-b');
    assert.equal((await cp.kubectl(['create', 'serviceaccount', 'kubeinfer-operator', '-n', 'kubeinfer-system'])).code, 0);
    await grant('Role', 'kubeinfer-operator', watched, operatorRules);
    await grant('Role', 'kubeinfer-operator-leader', 'kubeinfer-system', leaderElectionRules);
    await grant('ClusterRole', 'kubeinfer-operator-nodes', undefined, nodeRules);

    operator = await startTestOperator(cp, {
      kubeConfig: await serviceAccountKubeConfig(),
      namespaces: [watched],
      leaderElection: { namespace: 'kubeinfer-system' },
    });
    await applyAsUser(
      admin,
      inferenceService(
        watched,
        'fraud',
        [
          { name: 'v1', weight: 70 },
          { name: 'v2', weight: 30 },
        ],
        {
          storage: { secretRef: { name: 'absent' } },
          autoscaling: { minReplicas: 1, maxReplicas: 3, metric: 'concurrency' },
        },
      ),
    );
    await applyAsUser(admin, inferenceService(other, 'ignored', [{ name: 'v1' }]));
    const stalled = await waitCondition(admin, watched, 'fraud', 'Stalled', 'True');
    assert.equal(stalled.reason, 'StorageSecretNotFound', 'labelled Secrets are watched with the granted list and watch');
    await applyAsUser(admin, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'absent', namespace: watched, labels: { 'serving.kubeinfer.io/storage-credentials': 'true' } },
      stringData: { HTTP_BEARER_TOKEN: 't' },
    });
    await waitReady(admin, watched, 'fraud');

    const forbidden = (await operator.metrics.apiRequests.get()).values.filter((v) => v.labels.code === '403');
    assert.deepEqual(
      forbidden.map((v) => v.labels),
      [],
      'no request was refused',
    );
    const ignored = await read(admin, InferenceServiceKind, other, 'ignored');
    assert.equal(ignored?.status, undefined, 'an unwatched namespace is left alone');
  });
});
