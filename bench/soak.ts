// Soak: `kubeinfer run` (local mode: router + one `serve` per version) under mixed traffic
// — valid JSON (small and large) and binary, oversized JSON, malformed, deeply nested,
// slow-body and stalled-body requests — with the weights changed every 30 s. Prints requests
// by kind and outcome (503 + Retry-After is shedding; any other unexpected status or a socket
// error is a failure), which version answered under each weight setting, resident memory of
// each process over time, and health-check latency percentiles per process. Loopback only;
// stops by itself. Exits 1 when a request or a health check failed.
// Usage: node bench/soak.ts [--seconds 600] [--clients 8]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { addModel } from '../tools/onnx/models.ts';
import { startLocalRun } from '../test/local/session.ts';
import { emptyTally, stalledClient, traffic, WEIGHTS } from './soak-traffic.ts';
import type { Tally } from './soak-traffic.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, clients: { type: 'string', default: '8' } } });
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const RSS_EVERY_MS = 10_000;
const WEIGHT_CHANGE_EVERY_TICKS = 3;
const PROBE_TIMEOUT_MS = 5_000;

interface Probe {
  readonly name: string;
  readonly url: string;
  readonly latencies: number[];
  failed: number;
}

function rssMiB(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('VmRSS:'));
    return line === undefined ? 0 : Math.round(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    // The process is gone: a crash, which the table shows as 0.
    return 0;
  }
}

function percentile(sorted: readonly number[], p: number): string {
  return sorted.length === 0 ? '-' : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(1);
}

function manifest(weights: readonly [number, number], dir: string): string {
  return (
    `apiVersion: serving.kubeinfer.io/v1alpha1\nkind: InferenceService\nmetadata: {name: soak}\nspec:\n  versions:\n` +
    `    - {name: v1, model: {uri: "file://${dir}/v1.onnx"}, weight: ${weights[0]}}\n` +
    `    - {name: v2, model: {uri: "file://${dir}/v2.onnx"}, weight: ${weights[1]}}\n  runtime: {workers: 1}\n`
  );
}

/** Liveness of every process every 200 ms until `deadline`; a timeout or socket error is a failed check. */
async function probe(probes: readonly Probe[], deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    for (const target of probes) {
      const started = performance.now();
      try {
        const res = await fetch(`${target.url}/v2/health/live`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await res.arrayBuffer();
        if (res.status !== 200) target.failed++;
        target.latencies.push(performance.now() - started);
      } catch {
        target.failed++;
      }
    }
    await sleep(200);
  }
}

/** Every 10 s a memory sample; every third tick a weight change, as an edit to the manifest. */
async function ticks(file: string, dir: string, pids: readonly number[], tally: Tally, deadline: number): Promise<number[][]> {
  const rss: number[][] = [];
  for (let tick = 1; Date.now() < deadline; tick++) {
    if (tick % WEIGHT_CHANGE_EVERY_TICKS === 0) {
      tally.phase = (tally.phase + 1) % WEIGHTS.length;
      tally.changes++;
      await writeFile(file, manifest(WEIGHTS[tally.phase]!, dir));
    }
    rss.push(pids.map(rssMiB));
    await sleep(Math.min(RSS_EVERY_MS, Math.max(0, deadline - Date.now())));
  }
  rss.push(pids.map(rssMiB));
  return rss;
}

function processes(runPid: number): [string, number][] {
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(runPid)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  return [
    ['run + router', runPid],
    ...children
      .filter((line) => line.includes(' serve'))
      .map((line): [string, number] => [`serve ${line.trim().split(/\s+/)[0]}`, Number(line.trim().split(/\s+/)[0])]),
  ];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-soak-'));
  await writeFile(join(dir, 'v1.onnx'), addModel({ scale: 2 }));
  await writeFile(join(dir, 'v2.onnx'), addModel({ scale: 3 }));
  const file = join(dir, 'soak.yaml');
  await writeFile(file, manifest(WEIGHTS[0], dir));
  const local = await startLocalRun(file);
  const pids = processes(local.child.pid!);
  const probes: Probe[] = [
    { name: 'router', url: local.routerUrl, latencies: [], failed: 0 },
    ...[...local.runtimes].map(([version, url]) => ({ name: `serve ${version}`, url, latencies: [], failed: 0 })),
  ];
  const tally = emptyTally();
  const deadline = Date.now() + SECONDS * 1000;
  // A hung soak still ends: whatever is outstanding a minute and a half past the deadline is abandoned.
  setTimeout(
    () => {
      console.error('soak: still running 90 s past its deadline; giving up');
      process.exit(2);
    },
    (SECONDS + 90) * 1000,
  ).unref();
  const [rss] = await Promise.all([
    ticks(
      file,
      dir,
      pids.map(([, pid]) => pid),
      tally,
      deadline,
    ),
    traffic(local.routerUrl, CLIENTS, deadline, tally),
    stalledClient(local.routerUrl, deadline, tally),
    probe(probes, deadline),
  ]);
  const exitCode = await local.interrupt();
  await rm(dir, { recursive: true, force: true });
  const failures = report(tally, pids, rss, probes, local.output);
  console.log(`\nkubeinfer run exited with ${exitCode}`);
  process.exitCode = failures > 0 || exitCode !== 0 ? 1 : 0;
}

function report(
  tally: Tally,
  pids: readonly [string, number][],
  rss: readonly number[][],
  probes: readonly Probe[],
  output: readonly string[],
): number {
  console.log(`\nsoak: ${SECONDS} s, ${CLIENTS} clients + 1 stalled-body client, weights changed every 30 s (${tally.changes} changes)\n`);
  console.log('| kind | expected | outcomes |\n|---|---|---|');
  for (const [kind, row] of tally.outcomes) {
    console.log(`| ${kind} | ${tally.expected.get(kind)} | ${[...row].map(([outcome, n]) => `${outcome}: ${n}`).join(', ')} |`);
  }
  const failed = [...tally.outcomes.values()]
    .flatMap((row) => [...row])
    .filter(([outcome]) => outcome.startsWith('FAILED'))
    .reduce((sum, [, n]) => sum + n, 0);
  const total = [...tally.outcomes.values()].flatMap((row) => [...row.values()]).reduce((sum, n) => sum + n, 0);
  console.log(`\nrequests: ${total}, failed: ${failed}`);
  console.log('\n| weights v1/v2 | answered by v1 | answered by v2 | v2 share |\n|---|---|---|---|');
  for (const [i, weights] of WEIGHTS.entries()) {
    const [v1, v2] = [tally.versions[i]!.get('v1') ?? 0, tally.versions[i]!.get('v2') ?? 0];
    console.log(`| ${weights.join('/')} | ${v1} | ${v2} | ${((100 * v2) / Math.max(1, v1 + v2)).toFixed(1)}% |`);
  }
  console.log(`\n| t (s) | ${pids.map(([name]) => `${name} RSS MiB`).join(' | ')} |\n|---|${pids.map(() => '---|').join('')}`);
  for (const [i, row] of rss.entries()) console.log(`| ${Math.min(i * (RSS_EVERY_MS / 1000), SECONDS)} | ${row.join(' | ')} |`);
  console.log('\n| health checks | count | failed | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|');
  for (const target of probes) {
    const sorted = [...target.latencies].sort((a, b) => a - b);
    console.log(
      `| ${target.name} | ${sorted.length} | ${target.failed} | ${percentile(sorted, 0.5)} | ${percentile(sorted, 0.99)} | ${percentile(sorted, 1)} |`,
    );
  }
  const applied = output.filter((line) => line.startsWith('traffic now:')).length;
  console.log(`\nweight changes applied by kubeinfer run: ${applied} of ${tally.changes}`);
  const probeFailures = probes.reduce((sum, target) => sum + target.failed, 0);
  return failed + probeFailures + (applied === tally.changes ? 0 : 1);
}

await main();
