// How the operator scales: N InferenceServices (2 versions each) created at once
// against a real control plane (kube-apiserver, controller-manager, scheduler,
// kwok nodes), with the operator as its own process. Per size it reports:
// time until every InferenceService is reconciled (children applied and status
// written: the operator's work) and until every one is Ready (the whole cluster:
// ReplicaSets, pods, scheduling); API requests and writes per InferenceService;
// the operator's peak RSS and CPU time. A second operator then starts against the
// converged cluster: its full pass must write nothing. Ratios compare each size's
// per-InferenceService cost with the smallest size, measured in the same run.
// Usage: node bench/operator.ts [--sizes 100,500] [--workers 4]
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import type { InferenceService } from '../api/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { InferenceServiceKind } from '../kube/resources.ts';
import type { FakeNode } from '../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  inferenceService,
  spawnOperator,
  startClusterWithCrd,
  type OperatorProcess,
} from '../test/operator/harness.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,500' }, workers: { type: 'string', default: '4' } } });
const sizes = values.sizes.split(',').map(Number);
const workers = values.workers;

interface Row {
  readonly size: number;
  readonly reconciledS: number;
  readonly readyS: number;
  readonly requestsPerIsvc: number;
  readonly writesPerIsvc: number;
  readonly peakRssMiB: number;
  readonly cpuS: number;
  readonly restartPassS: number;
  readonly restartWrites: number;
}

/** Enough kwok nodes (110 pods each) for 3 pods per InferenceService, with room to spare. */
function nodesFor(size: number): FakeNode[] {
  const count = Math.max(2, Math.ceil((size * 3 * 1.3) / 110));
  return Array.from({ length: count }, (_, i) => ({ name: `bench-${i}`, cpu: '1000', memory: '4Ti' }));
}

function manifest(namespace: string, index: number): InferenceService {
  return inferenceService(
    namespace,
    `isvc-${String(index).padStart(4, '0')}`,
    [
      { name: 'v1', weight: 90 },
      { name: 'v2', weight: 10 },
    ],
    {
      router: { resources: { requests: { cpu: '10m', memory: '16Mi' } } },
    },
  );
}

async function progress(client: KubeClient, namespace: string): Promise<{ reconciled: number; ready: number }> {
  const listed = await client.list(InferenceServiceKind, { namespace });
  if (!listed.ok) return { reconciled: 0, ready: 0 };
  let reconciled = 0;
  let ready = 0;
  for (const item of listed.value.items as unknown as InferenceService[]) {
    if (item.status?.observedGeneration !== item.metadata.generation) continue;
    reconciled += 1;
    if (item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready += 1;
  }
  return { reconciled, ready };
}

async function createAll(admin: KubeClient, namespace: string, size: number): Promise<void> {
  const queue = Array.from({ length: size }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await applyAsUser(admin, manifest(namespace, i));
    }),
  );
}

/** Polls until every InferenceService is Ready; returns when all were reconciled and when all were Ready. */
async function waitConverged(
  admin: KubeClient,
  namespace: string,
  size: number,
  started: number,
  sample: () => Promise<unknown>,
): Promise<{ reconciledAt: number; readyAt: number }> {
  let reconciledAt = 0;
  for (;;) {
    await sample();
    const { reconciled, ready } = await progress(admin, namespace);
    if (!reconciledAt && reconciled === size) reconciledAt = Date.now();
    if (ready === size) return { reconciledAt, readyAt: Date.now() };
    if (Date.now() - started > 30 * 60_000) throw new Error(`only ${ready}/${size} Ready after 30 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A fresh operator against the converged cluster: time for its full pass, and what it wrote. */
async function restartPass(operator: OperatorProcess, size: number): Promise<{ seconds: number; writes: number }> {
  await operator.metricsPort;
  const started = Date.now();
  while ((await operator.metric('kubeinfer_operator_reconcile_total')) < size) await new Promise((resolve) => setTimeout(resolve, 200));
  return { seconds: (Date.now() - started) / 1000, writes: await operator.metric('kubeinfer_operator_api_writes_total') };
}

async function runSize(size: number): Promise<Row> {
  const cp = await startClusterWithCrd({ nodes: nodesFor(size), readyTimeoutMs: 300_000 });
  const operators: OperatorProcess[] = [];
  try {
    const admin = adminClient(cp, 'bench');
    const namespace = await createNamespace(cp, 'bench');
    const operator = await spawnOperator(cp, 'bench-operator', ['--workers', workers]);
    operators.push(operator);
    await operator.metricsPort;
    let peakRss = 0;
    const sample = async () => (peakRss = Math.max(peakRss, await operator.metric('process_resident_memory_bytes')));
    const started = Date.now();
    await createAll(admin, namespace, size);
    const { reconciledAt, readyAt } = await waitConverged(admin, namespace, size, started, sample);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // let the last status writes land before counting
    await sample();
    const requests = await operator.metric('kubeinfer_operator_api_requests_total');
    const writes = await operator.metric('kubeinfer_operator_api_writes_total');
    const cpuS = await operator.metric('process_cpu_seconds_total');
    await operator.stop('SIGTERM');
    const second = await spawnOperator(cp, 'bench-restart', ['--workers', workers]);
    operators.push(second);
    const restart = await restartPass(second, size);
    return {
      size,
      reconciledS: (reconciledAt - started) / 1000,
      readyS: (readyAt - started) / 1000,
      requestsPerIsvc: requests / size,
      writesPerIsvc: writes / size,
      peakRssMiB: peakRss / 2 ** 20,
      cpuS,
      restartPassS: restart.seconds,
      restartWrites: restart.writes,
    };
  } finally {
    await Promise.all(operators.map((operator) => operator.stop('SIGKILL')));
    await cp.stop();
  }
}

const rows: Row[] = [];
for (const size of sizes) {
  process.stderr.write(`bench: ${size} InferenceServices (2 versions each)...\n`);
  rows.push(await runSize(size));
}
const [base] = rows;
if (!base) throw new Error('bench: no sizes given');
const fixed = (value: number, digits = 1) => value.toFixed(digits);
console.log(
  `\nOperator convergence (workers=${workers}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})\n`,
);
console.log(
  '| InferenceServices | all reconciled (s) | reconciled/s | all Ready (s) | API requests / isvc | writes / isvc | peak RSS (MiB) | CPU (s) | CPU ms / isvc | restart pass (s) | restart writes | reconcile time / isvc vs first row |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) {
  const ratio = row.reconciledS / row.size / (base.reconciledS / base.size);
  console.log(
    `| ${row.size} | ${fixed(row.reconciledS)} | ${fixed(row.size / row.reconciledS)} | ${fixed(row.readyS)} | ${fixed(row.requestsPerIsvc)} | ${fixed(row.writesPerIsvc)} | ${fixed(row.peakRssMiB, 0)} | ${fixed(row.cpuS)} | ${fixed((row.cpuS * 1000) / row.size, 0)} | ${fixed(row.restartPassS)} | ${row.restartWrites} | ${ratio.toFixed(2)}x |`,
  );
}
