// Leader election between real operator processes: exactly one leads and
// writes; when it dies the other takes over after the Lease expires and
// converges; a leader stopped with SIGTERM releases the Lease at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyAsUser,
  createNamespace,
  eventually,
  inferenceService,
  leaseHolder,
  processCluster,
  waitReady,
  type OperatorProcess,
} from './harness.ts';

const LEASE_NAMESPACE = 'kube-system';

describe('leader election (two operator processes)', () => {
  const cluster = processCluster();

  async function start(name: string): Promise<OperatorProcess> {
    const operator = await cluster.spawn(name, ['--leader-elect', '--leader-election-namespace', LEASE_NAMESPACE]);
    await operator.metricsPort;
    return operator;
  }

  /** The process holding the Lease, once one does. */
  async function leader(candidates: readonly OperatorProcess[]): Promise<OperatorProcess> {
    return eventually(
      async () => {
        const holder = await leaseHolder(cluster.admin, LEASE_NAMESPACE);
        return candidates.find((candidate) => holder.startsWith(`${candidate.name}_`));
      },
      'a leader',
      60_000,
    );
  }

  it('elects exactly one leader, which alone writes; a killed leader is replaced and the successor converges', async () => {
    const { cp, admin } = cluster;
    const a = await start('operator-a');
    const b = await start('operator-b');
    const first = await leader([a, b]);
    const standby = first === a ? b : a;
    const ns = await createNamespace(cp, 'leader');
    await applyAsUser(admin, inferenceService(ns, 'one', [{ name: 'v1' }]));
    await waitReady(admin, ns, 'one');
    assert.equal(await first.metric('kubeinfer_operator_leader'), 1);
    assert.equal(await standby.metric('kubeinfer_operator_leader'), 0);
    assert.ok((await first.metric('kubeinfer_operator_api_writes_total')) > 0);
    assert.equal(await standby.metric('kubeinfer_operator_api_writes_total'), 0, 'the standby never writes');

    assert.equal(await first.stop('SIGKILL'), 'SIGKILL'); // a crash: the Lease is not released and must expire
    await applyAsUser(
      admin,
      inferenceService(ns, 'two', [
        { name: 'v1', weight: 50 },
        { name: 'v2', weight: 50 },
      ]),
    );
    const second = await leader([standby]);
    assert.equal(second, standby);
    await waitReady(admin, ns, 'two', 120_000);
    assert.equal(await standby.metric('kubeinfer_operator_leader'), 1);
  });

  it('releases the Lease on SIGTERM so a standby takes over without waiting for expiry', async () => {
    const { cp, admin } = cluster;
    // A Lease of its own, and one that would not expire for ten minutes: only a release
    // can hand it over within this test, whatever ran before it.
    const lease = 'handover-lease';
    const args = [
      '--leader-elect',
      '--leader-election-namespace',
      LEASE_NAMESPACE,
      '--leader-election-id',
      lease,
      '--leader-election-lease-seconds',
      '600',
    ];
    const candidates = [await cluster.spawn('operator-c', args), await cluster.spawn('operator-d', args)];
    for (const candidate of candidates) await candidate.metricsPort;
    const current = await eventually(
      async () => {
        const holder = await leaseHolder(admin, LEASE_NAMESPACE, lease);
        return candidates.find((candidate) => holder.startsWith(`${candidate.name}_`));
      },
      'a leader of the handover Lease',
      60_000,
    );
    const next = candidates.find((candidate) => candidate !== current)!;
    const stopped = current.stop('SIGTERM');
    await eventually(
      async () => ((await leaseHolder(admin, LEASE_NAMESPACE, lease)).startsWith(`${next.name}_`) ? true : undefined),
      `${next.name} leads`,
      60_000,
    );
    assert.equal(await stopped, 0, 'a clean stop exits 0');
    assert.ok(
      current.output.some((line) => line.includes('released leadership')),
      current.output.join('\n'),
    );
    const ns = await createNamespace(cp, 'handover');
    await applyAsUser(admin, inferenceService(ns, 'three', [{ name: 'v1' }]));
    await waitReady(admin, ns, 'three');
    assert.equal(await next.metric('kubeinfer_operator_leader'), 1);
  });
});
