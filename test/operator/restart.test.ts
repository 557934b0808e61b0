// An operator process killed half-way through creating 50 InferenceServices:
// its replacement converges every one of them, with exactly the expected
// children (nothing duplicated, nothing left over).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigMapKind,
  DeploymentKind,
  HorizontalPodAutoscalerKind,
  InferenceServiceKind,
  PodDisruptionBudgetKind,
  PodKind,
  RoleBindingKind,
  RoleKind,
  ServiceAccountKind,
  ServiceKind,
  type ResourceKind,
} from '../../kube/resources.ts';
import { applyAsUser, createNamespace, eventually, inferenceService, names, processCluster, waitReady } from './harness.ts';

const COUNT = 50;
/** ReplicaSets (which the operator never touches) show whether any Deployment rolled a new template. */
const ReplicaSetKind: ResourceKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true };

describe('operator restarted mid-way', () => {
  const cluster = processCluster();

  it('converges 50 InferenceServices with no duplicates and no leftovers', async () => {
    const { cp, admin } = cluster;
    const ns = await createNamespace(cp, 'restart');
    const first = await cluster.spawn('first', ['--workers', '2']);
    const all = Array.from({ length: COUNT }, (_, i) => `isvc-${String(i).padStart(2, '0')}`);
    await Promise.all(
      all.map((name) =>
        applyAsUser(
          admin,
          inferenceService(ns, name, [
            { name: 'v1', weight: 80 },
            { name: 'v2', weight: 20 },
          ]),
        ),
      ),
    );
    // Kill it (no graceful shutdown) once it is part-way: some children exist, many do not.
    await eventually(
      async () => ((await names(admin, DeploymentKind, ns)).length >= 20 ? true : undefined),
      'first operator part-way',
      120_000,
    );
    await first.stop('SIGKILL');
    const partial = (await names(admin, DeploymentKind, ns)).length;
    assert.ok(partial < COUNT * 3, `the first operator was stopped part-way (${partial} of ${COUNT * 3} Deployments)`);

    await cluster.spawn('second', ['--workers', '4']);
    for (const name of all) await waitReady(admin, ns, name, 180_000);

    const expected = (suffixes: readonly string[]) => all.flatMap((name) => suffixes.map((suffix) => `${name}${suffix}`)).sort();
    assert.deepEqual(await names(admin, DeploymentKind, ns), expected(['-router', '-v1', '-v2']));
    assert.deepEqual(await names(admin, ServiceKind, ns), expected(['', '-v1', '-v2']));
    assert.deepEqual(await names(admin, ConfigMapKind, ns, 'app.kubernetes.io/managed-by=kubeinfer-operator'), expected(['-router']));
    for (const kind of [ServiceAccountKind, RoleKind, RoleBindingKind]) {
      assert.deepEqual(await names(admin, kind, ns, 'app.kubernetes.io/managed-by=kubeinfer-operator'), expected(['-router']));
    }
    assert.deepEqual(await names(admin, HorizontalPodAutoscalerKind, ns), []);
    assert.equal((await names(admin, ReplicaSetKind, ns)).length, COUNT * 3, 'one ReplicaSet per Deployment: no template was changed');
    assert.deepEqual(await names(admin, PodDisruptionBudgetKind, ns), expected(['-router']));
    assert.equal((await names(admin, PodKind, ns)).length, COUNT * 4, 'one pod per version Deployment, two routers');
    assert.equal((await names(admin, InferenceServiceKind, ns)).length, COUNT);
  });
});
