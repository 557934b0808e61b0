// Start-up and stop time of the test control plane with warm (already built) binaries,
// per component set. Baseline: etcd + kube-apiserver alone, measured in the same run.
// Usage: node bench/cluster-startup.ts [--runs N]   (default 3 per row)
import { parseArgs } from 'node:util';
import { startControlPlane } from '../tools/cluster/index.ts';
import type { ControlPlaneOptions } from '../tools/cluster/index.ts';

interface Row {
  readonly name: string;
  readonly options: ControlPlaneOptions;
}

const ROWS: readonly Row[] = [
  { name: 'etcd + apiserver', options: {} },
  { name: '+ controller-manager', options: { controllerManager: true } },
  { name: '+ controller-manager + scheduler', options: { controllerManager: true, scheduler: true } },
  { name: '+ cm + scheduler + kwok (4 nodes)', options: { controllerManager: true, scheduler: true, kwok: true } },
];

interface Sample {
  readonly startMs: number;
  readonly stopMs: number;
}

async function measure(options: ControlPlaneOptions): Promise<Sample> {
  const t0 = performance.now();
  const cp = await startControlPlane(options);
  const t1 = performance.now();
  await cp.stop();
  return { startMs: t1 - t0, stopMs: performance.now() - t1 };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const secs = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const runs = Number(values.runs);
  // One unmeasured start warms the page cache for the binaries (cold disk reads are not start-up cost).
  await measure({ controllerManager: true, scheduler: true, kwok: true });
  const table: Record<string, string>[] = [];
  let baseline = 0;
  for (const row of ROWS) {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await measure(row.options));
    const starts = samples.map((s) => s.startMs).sort((a, b) => a - b);
    const avg = mean(starts);
    baseline ||= avg;
    table.push({
      components: row.name,
      runs: String(runs),
      'start mean s': secs(avg),
      'start p50 s': secs(percentile(starts, 50)),
      'start p99 s': secs(percentile(starts, 99)),
      'stop mean s': secs(mean(samples.map((s) => s.stopMs))),
      'vs baseline': `${(avg / baseline).toFixed(2)}x`,
    });
  }
  console.table(table);
}

await main();
