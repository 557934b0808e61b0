// The disruptions a busy day brings, each under steady load through the stable Service of
// a two-version InferenceService on the real node: the router's pods deleted one by one,
// the operator's pod killed, weights moved across the whole range; then gRPC from a pod
// through the same Service. Each prints its exact request counts and allows no failure.
// Registered by real-node.test.ts into its suite, on its InferenceService (v1 answers 5 for
// x = 1, v2 answers 4), so the node and the InferenceService are started once.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LABEL_COMPONENT, LABEL_ISVC } from '../../operator/builders/labels.ts';
import { GRPC_PORT, HTTP_PORT } from '../../operator/builders/options.ts';
import type { ChartCluster } from '../ship/chart-fixture.ts';
import { grpcFromPod, inferFromPod, loadDuring, OPERATOR_NS, type LoadResult } from './client.ts';
import { deletePodsOneByOne, routersApply, servingPodIps } from './disruption.ts';

/** Steady load, requests per second, from the client pod (the busy 2 cores reach 13-17). */
const RATE = 20;

/** Prints the run's exact counts (the figures the closing notes quote) and allows no failed request. */
export function noneFailed(t: TestContext, what: string, run: LoadResult): void {
  const shown =
    run.failures.length > 0
      ? `; first failures ${JSON.stringify(run.failures.slice(0, 5))}; slow or failed connects ${JSON.stringify(run.slowConnects)}`
      : '';
  t.diagnostic(
    `${what}: ${run.failures.length}/${run.sent} requests failed over ${run.seconds}s; answers ${JSON.stringify(run.answers)}${shown}`,
  );
  const answered = Object.values(run.answers).reduce((sum, n) => sum + n, 0);
  assert.equal(answered + run.failures.length, run.sent, 'every request was answered or failed, none hung');
  assert.deepEqual(run.failures, [], `${what}: ${run.failures.length} of ${run.sent} requests failed`);
}

/** The InferenceService the tests disrupt: its namespace, name, stable URL, and how to set its two versions' weights. */
export interface Subject {
  readonly namespace: string;
  readonly name: string;
  readonly url: string;
  setWeights(v1: number, v2: number): Promise<unknown>;
}

/** Registers the tests, numbered after real-node.test.ts's own, into the caller's suite at the point of the call. */
export function underLoadTests(cluster: ChartCluster, subject: Subject): void {
  const { namespace, name, url } = subject;
  const routers = `${LABEL_ISVC}=${name},${LABEL_COMPONENT}=router`;

  test('8. under load, the router pods deleted one by one (two replicas, a PodDisruptionBudget): no request fails', async (t) => {
    assert.equal((await servingPodIps(cluster, namespace, routers)).length, 2, 'two router replicas by default');
    const budget = await cluster.kubectlOk(['get', 'pdb', '-n', namespace, `${name}-router`, '-o', 'jsonpath={.spec.maxUnavailable}']);
    assert.equal(budget, '1');
    let deleted: string[] = [];
    const run = await loadDuring(cluster, namespace, url, RATE, async () => {
      deleted = await deletePodsOneByOne(cluster, namespace, routers);
    });
    assert.equal(deleted.length, 2);
    noneFailed(t, 'router pods deleted one by one', run);
  });

  test('9. under load, the operator pod killed: the data plane answers throughout, and the restarted operator reconciles a weight change', async (t) => {
    const run = await loadDuring(cluster, namespace, url, RATE, async () => {
      const killed = await deletePodsOneByOne(cluster, OPERATOR_NS, 'app.kubernetes.io/component=operator', { force: true });
      assert.equal(killed.length, 1);
    });
    noneFailed(t, 'operator pod killed', run);
    await subject.setWeights(100, 0);
    await routersApply(cluster, namespace, routers, HTTP_PORT, { v1: 100, v2: 0 });
    assert.deepEqual(await inferFromPod(cluster, namespace, url, 20), { answers: { 'v1=5': 20 }, failures: [] });
  });

  test('10. under load, weights 100/0 -> 50/50 -> 0/100: no request fails, and every router then sends all to v2', async (t) => {
    const run = await loadDuring(cluster, namespace, url, RATE, async () => {
      for (const [v1, v2] of [
        [50, 50],
        [0, 100],
      ] as const) {
        await subject.setWeights(v1, v2);
        await routersApply(cluster, namespace, routers, HTTP_PORT, { v1, v2 });
        await sleep(5_000); // traffic at each split, not only across the switch
      }
    });
    noneFailed(t, 'weights 100/0 -> 50/50 -> 0/100', run);
    assert.ok((run.answers['v1=5'] ?? 0) > 0 && (run.answers['v2=4'] ?? 0) > 0, 'both versions answered during the change');
    for (const ip of await servingPodIps(cluster, namespace, routers)) {
      const direct = await inferFromPod(cluster, namespace, `http://${ip}:${HTTP_PORT}/v2/models/${name}/infer`, 20);
      assert.deepEqual(direct, { answers: { 'v2=4': 20 }, failures: [] }, `router ${ip}`);
    }
    assert.deepEqual(await inferFromPod(cluster, namespace, url, 100), { answers: { 'v2=4': 100 }, failures: [] });
  });

  test('11. gRPC from a pod through the stable Service (h2c): a 90/10 split exact over 200 calls, and calls pinned by field and by metadata', async (t) => {
    await subject.setWeights(90, 10);
    await routersApply(cluster, namespace, routers, HTTP_PORT, { v1: 90, v2: 10 });
    const target = `${name}.${namespace}.svc:${GRPC_PORT}`;
    const tally = await grpcFromPod(cluster, namespace, { target, model: name, count: 200, fieldPin: 'v2', metadataPin: 'v2' });
    t.diagnostic(`gRPC to ${target}: ${JSON.stringify(tally)}`);
    // One channel is one HTTP/2 connection, so one router's smooth weighted round-robin: exact.
    // At 90/10 the balancer never picks v2 twice in a row: two calls pinned to v2 answered by v2 show the pins chose.
    assert.deepEqual(tally, { answers: { 'v1=5': 180, 'v2=4': 20 }, failures: [], pinned: { field: 'v2=4', metadata: 'v2=4' } });
  });
}
