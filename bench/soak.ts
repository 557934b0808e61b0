// Soak: `kubeinfer run` (local mode: router + one `serve` per version) under mixed traffic
// — valid JSON and binary, oversized JSON, malformed and slow-body requests — with the
// weights changed every 30 s. Prints requests by kind and outcome (an unexpected status or
// a socket error is a failure), resident memory of each process over time, and health-check
// latency percentiles. Loopback only; stops by itself.
// Usage: node bench/soak.ts [--seconds 600] [--clients 8]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { addModel } from '../tools/onnx/models.ts';
import { startLocalRun } from '../test/local/session.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, clients: { type: 'string', default: '8' } } });
const SECONDS = Number(values.seconds);
const MiB = 1024 * 1024;
const WEIGHTS = [
  [50, 50],
  [90, 10],
  [10, 90],
] as const;

interface Kind {
  readonly name: string;
  readonly share: number;
  readonly expected: number;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
  /** Milliseconds to spread the body over (a slow client). */
  readonly trickleMs?: number;
}

function kinds(): Kind[] {
  const json = (value: string) => ({ body: Buffer.from(value), headers: { 'content-type': 'application/json' } });
  const valid = '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}';
  const header = Buffer.from(
    '{"inputs":[{"name":"input","datatype":"FP32","shape":[256,4],"parameters":{"binary_data_size":4096}}],"parameters":{"binary_data_output":true}}',
  );
  return [
    { name: 'valid JSON', share: 60, expected: 200, ...json(valid) },
    {
      name: 'valid binary (4 KiB)',
      share: 15,
      expected: 200,
      body: Buffer.concat([header, Buffer.alloc(4096, 1)]),
      headers: { 'inference-header-content-length': header.length },
    },
    { name: 'malformed JSON', share: 6, expected: 400, ...json('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,') },
    {
      name: 'nested 10,000 deep',
      share: 4,
      expected: 400,
      ...json(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":${'['.repeat(10_000)}1${']'.repeat(10_000)}}]}`),
    },
    {
      name: 'oversized JSON (17 MiB)',
      share: 2,
      expected: 413,
      body: Buffer.alloc(17 * MiB, 0x20),
      headers: { 'content-type': 'application/json' },
    },
    { name: 'slow body (2 s)', share: 13, expected: 200, trickleMs: 2000, ...json(valid) },
  ];
}

type Outcomes = Map<string, Map<string, number>>;

function count(outcomes: Outcomes, kind: string, outcome: string): void {
  const row = outcomes.get(kind) ?? new Map<string, number>();
  row.set(outcome, (row.get(outcome) ?? 0) + 1);
  outcomes.set(kind, row);
}

function sendKind(url: string, kind: Kind, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/v2/models/soak/infer`,
      { method: 'POST', agent, headers: { ...kind.headers, 'content-length': kind.body.length } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(String(res.statusCode)));
        res.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      },
    );
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    if (kind.trickleMs === undefined) return void req.end(kind.body);
    const half = Math.floor(kind.body.length / 2);
    req.write(kind.body.subarray(0, half));
    setTimeout(() => req.end(kind.body.subarray(half)), kind.trickleMs);
  });
}

function pick(all: readonly Kind[]): Kind {
  let roll = Math.random() * 100;
  for (const kind of all) {
    roll -= kind.share;
    if (roll < 0) return kind;
  }
  return all[0]!;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return line === undefined ? 0 : Math.round(Number(line.split(/\s+/)[1]) / 1024);
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

/** Clients sending the mix until `deadline`, each outcome counted. */
async function traffic(url: string, deadline: number, outcomes: Outcomes): Promise<void> {
  const all = kinds();
  const agent = new Agent({ keepAlive: true });
  await Promise.all(
    Array.from({ length: Number(values.clients) }, async () => {
      while (Date.now() < deadline) {
        const kind = pick(all);
        const outcome = await sendKind(url, kind, agent);
        count(outcomes, kind.name, outcome === String(kind.expected) ? outcome : `FAILED ${outcome}`);
      }
    }),
  );
  agent.destroy();
}

/** Liveness of every process every 200 ms until `deadline`; latencies in ms. */
async function probe(urls: readonly string[], deadline: number, latencies: number[]): Promise<void> {
  while (Date.now() < deadline) {
    for (const url of urls) {
      const started = performance.now();
      await fetch(`${url}/v2/health/live`).then((res) => res.arrayBuffer());
      latencies.push(performance.now() - started);
    }
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-soak-'));
  await writeFile(join(dir, 'v1.onnx'), addModel({ scale: 2 }));
  await writeFile(join(dir, 'v2.onnx'), addModel({ scale: 3 }));
  const file = join(dir, 'soak.yaml');
  await writeFile(file, manifest(WEIGHTS[0], dir));
  const local = await startLocalRun(file);
  const pids: [string, number][] = [
    ['run + router', local.child.pid!],
    ...execFileSync('ps', ['-o', 'pid=', '--ppid', String(local.child.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map((pid): [string, number] => [`serve ${pid}`, Number(pid)]),
  ];
  const outcomes: Outcomes = new Map();
  const health: number[] = [];
  const rss: number[][] = [];
  const deadline = Date.now() + SECONDS * 1000;
  let changed = 0;
  // Every 10 s a memory sample; every third tick a weight change, as an edit to the manifest.
  const ticks = (async () => {
    for (let tick = 1; Date.now() < deadline; tick++) {
      if (tick % 3 === 0) await writeFile(file, manifest(WEIGHTS[++changed % WEIGHTS.length]!, dir));
      rss.push(pids.map(([, pid]) => rssMiB(pid)));
      await sleep(10_000);
    }
  })();
  await Promise.all([
    traffic(local.routerUrl, deadline, outcomes),
    probe([local.routerUrl, ...local.runtimes.values()], deadline, health),
    ticks,
  ]);
  await local.interrupt();
  await rm(dir, { recursive: true, force: true });
  report(
    outcomes,
    pids,
    rss,
    health.sort((a, b) => a - b),
    changed,
  );
}

function report(
  outcomes: Outcomes,
  pids: readonly [string, number][],
  rss: readonly number[][],
  health: readonly number[],
  changed: number,
): void {
  console.log(`\nsoak: ${SECONDS} s, ${values.clients} clients, weights changed every 30 s (${changed} changes)\n`);
  console.log('| kind | outcomes |\n|---|---|');
  for (const [kind, row] of outcomes) console.log(`| ${kind} | ${[...row].map(([outcome, n]) => `${outcome}: ${n}`).join(', ')} |`);
  const failed = [...outcomes.values()]
    .flatMap((row) => [...row])
    .filter(([outcome]) => outcome.startsWith('FAILED'))
    .reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `\nfailed requests: ${failed}\n\n| t (s) | ${pids.map(([name]) => `${name} RSS MiB`).join(' | ')} |\n|---|${pids.map(() => '---|').join('')}`,
  );
  for (const [i, row] of rss.entries()) console.log(`| ${i * 10} | ${row.join(' | ')} |`);
  console.log(
    `\nhealth checks (${health.length}, router and runtimes): p50 ${percentile(health, 0.5)} ms, p99 ${percentile(health, 0.99)} ms, max ${percentile(health, 1)} ms`,
  );
}

await main();
