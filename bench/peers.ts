// The judge: kubeinfer against the bare Node stack and the Python peers (KServe, MLServer,
// PyTriton) on the same models and the same load, in one run, then the compressed models
// against FP32. Every server's answers are checked before any load; servers alternate within
// each repetition; each cell is the median of --reps. Loopback only; every server stops at the end.
// Usage: node bench/peers.ts [--seconds 3] [--reps 3] [--concurrency 1,16,64] [--models tiny,mlp]
//        [--peers kserve,mlserver,pytriton] [--compressed 16]   (quick: --seconds 1 --reps 1)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuBudget } from '../runtime/engine/cpus.ts';
import { uniformRows } from '../tools/onnx/compressed.ts';
import { addModel, mlpModel } from '../tools/onnx/models.ts';
import { benchCompressed } from './peers/compressed.ts';
import { startBare, startKubeinfer, startPeer, stopAll, type Contender } from './peers/contenders.ts';
import { grpcLoad, hasWrk, wrkLoad, type LoadResult } from './peers/load.ts';
import { cellTable, ratioTable, type Cell } from './peers/report.ts';
import { expectedOutput, requestsFor, wrongAnswer, type Requests } from './peers/requests.ts';
import { PEERS, venvPython, type PeerName } from './peers/venvs.ts';
import { probeHealth } from './runtime-load.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,16,64' },
    models: { type: 'string', default: 'tiny,mlp' },
    peers: { type: 'string', default: PEERS.join(',') },
    compressed: { type: 'string', default: '16', description: 'concurrency for the compressed models; "off" skips them' },
  },
});
const SECONDS = Math.max(1, Math.round(Number(args.seconds)));
const REPS = Number(args.reps);
const LEVELS = args.concurrency.split(',').map(Number);
const WORKERS = String(cpuBudget());
// kubeinfer as deployed (defaults), tuned for this host, and with batching as issue runs set it.
const KUBEINFER_SETUPS: readonly { row: string; flags: readonly string[] }[] = [
  { row: 'kubeinfer', flags: [] },
  { row: 'kubeinfer tuned', flags: ['--workers', WORKERS, '--intra-op-threads', '1'] },
  { row: 'kubeinfer batching', flags: ['--workers', WORKERS, '--max-batch-size', '32', '--max-queue-delay-micros', '2000'] },
];
const MODELS = {
  tiny: { features: 4, bytes: () => addModel({ features: 4 }) },
  mlp: { features: 784, bytes: () => mlpModel({ layers: [784, 512, 512, 10] }) },
} as const;
type ModelKey = keyof typeof MODELS;
const MLSERVER_BATCHING = 'mlserver batching';

/** One row of the table: a server and the way the load reaches it. */
interface Row {
  readonly name: string;
  readonly contender: Contender;
  load(concurrency: number): Promise<LoadResult>;
}

const log = (line: string) => console.log(`# ${line}`);

function peerPythons(): Map<PeerName, string> {
  const ready = new Map<PeerName, string>();
  for (const peer of args.peers.split(',').filter(Boolean) as PeerName[]) {
    const python = venvPython(peer, log);
    if (python.ok) ready.set(peer, python.python);
    else log(`SKIPPED ${peer}: ${python.reason}`);
  }
  return ready;
}

/** Starts every server on `modelPath`; a server that does not start or answers wrong is left out, with the reason. */
async function startRows(modelPath: string, requests: Requests, expected: Float32Array, pythons: Map<PeerName, string>): Promise<Row[]> {
  const starts: [string, () => Promise<Contender>][] = [
    ['bare', () => startBare(modelPath)],
    ...KUBEINFER_SETUPS.map(({ row, flags }): [string, () => Promise<Contender>] => [row, () => startKubeinfer(row, modelPath, flags)]),
    ...[...pythons].map(([peer, python]): [string, () => Promise<Contender>] => [peer, () => startPeer(peer, python, modelPath)]),
  ];
  const mlserver = pythons.get('mlserver');
  if (mlserver !== undefined) starts.push([MLSERVER_BATCHING, () => startPeer('mlserver', mlserver, modelPath, true)]);
  const rows: Row[] = [];
  for (const [name, start] of starts) {
    const contender = await start().catch((error: Error) => log(`SKIPPED ${name}: did not start: ${error.message}`));
    if (contender === undefined) continue;
    const wrong = await wrongAnswer(contender.url, requests.json.body, expected);
    if (wrong !== undefined) {
      log(`SKIPPED ${name}: wrong answer: ${wrong}`);
      await contender.stop();
      continue;
    }
    log(`${name}: up, answers correctly`);
    rows.push({ name, contender, load: (c) => wrkLoad(contender.url, requests.json, c, SECONDS) });
    if (name !== 'kubeinfer') continue;
    rows.push({ name: 'kubeinfer binary', contender, load: (c) => wrkLoad(contender.url, requests.binary, c, SECONDS) });
    const grpc = contender.grpcAddress!;
    rows.push({ name: 'kubeinfer gRPC', contender, load: (c) => grpcLoad(grpc, requests.grpc, c, SECONDS) });
  }
  return rows;
}

/** The cell of `row` at this model and concurrency, added on first use. */
function cellFor(cells: Cell[], model: string, concurrency: number, row: string): Cell {
  const found = cells.find((c) => c.model === model && c.concurrency === concurrency && c.row === row);
  if (found !== undefined) return found;
  const cell: Cell = { model, concurrency, row, reps: [] };
  cells.push(cell);
  return cell;
}

/** Runs every row at every concurrency, REPS times, starting each repetition one row later. */
async function measureModel(model: ModelKey, rows: readonly Row[], cells: Cell[], health: Map<string, number[]>): Promise<void> {
  const top = Math.max(...LEVELS);
  for (const row of rows) await row.load(16);
  for (let rep = 0; rep < REPS; rep++) {
    for (const concurrency of LEVELS) {
      const order = rows.map((_, i) => rows[(i + rep) % rows.length]!);
      for (const row of order) {
        const probe = concurrency === top ? probeHealth(row.contender.url, SECONDS) : undefined;
        const cpuBefore = row.contender.cpuSeconds();
        const load = await row.load(concurrency);
        const result = { ...load, cpuMicros: ((row.contender.cpuSeconds() - cpuBefore) * 1e6) / (load.rps * SECONDS) };
        if (probe !== undefined) health.set(`${model}/${row.name}`, [...(health.get(`${model}/${row.name}`) ?? []), (await probe).p99Ms]);
        cellFor(cells, model, concurrency, row.name).reps.push(result);
      }
    }
  }
}

function printHealth(health: Map<string, number[]>): void {
  console.log(`\nHealth: p99 ms of GET /v2/health/ready (own thread, every 2 ms) while the server takes c=${Math.max(...LEVELS)}`);
  console.log('| model / server | health p99 ms (median) |\n| --- | --- |');
  for (const [key, p99s] of health) console.log(`| ${key} | ${p99s.sort((a, b) => a - b)[p99s.length >> 1]!.toFixed(2)} |`);
}

async function main(): Promise<void> {
  if (!(await hasWrk())) throw new Error('wrk is not on PATH: apt-get install wrk');
  const pythons = peerPythons();
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-bench-peers-'));
  const cells: Cell[] = [];
  const health = new Map<string, number[]>();
  console.log(`# ${SECONDS} s per cell, median of ${REPS}, wrk -t1 (gRPC: node:http2 closed loop), ${WORKERS} cores, batch 1`);
  try {
    for (const model of args.models.split(',') as ModelKey[]) {
      const modelPath = join(dir, `${model}.onnx`);
      writeFileSync(modelPath, MODELS[model].bytes());
      const values = uniformRows(1, MODELS[model].features);
      const rows = await startRows(modelPath, requestsFor(values), await expectedOutput(modelPath, values), pythons);
      try {
        await measureModel(model, rows, cells, health);
      } finally {
        await Promise.all([...new Set(rows.map((row) => row.contender))].map((contender) => contender.stop()));
      }
    }
    console.log('\nEvery cell (median over repetitions; errors summed)');
    for (const line of cellTable(cells)) console.log(line);
    console.log('\nkubeinfer req/s divided by the bare stack and each peer (same model, same concurrency, same run)');
    for (const line of ratioTable(
      cells,
      ['kubeinfer', ...KUBEINFER_SETUPS.slice(1).map((s) => s.row), 'kubeinfer binary', 'kubeinfer gRPC'],
      [...pythons.keys(), ...(pythons.has('mlserver') ? [MLSERVER_BATCHING] : [])],
    ))
      console.log(line);
    printHealth(health);
    if (args.compressed !== 'off') await benchCompressed(dir, Number(args.compressed), SECONDS, REPS, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void stopAll().then(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
await main();
