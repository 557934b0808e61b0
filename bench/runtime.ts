// Runtime benchmark: `node bench/runtime.ts [--seconds 1.5] [--workers <n>, default: one per core]`.
// Three models (overhead-, compute- and payload-bound) served by `kubeinfer serve` over
// loopback HTTP at concurrency 1..64, JSON vs binary, dynamic batching off vs on, against an
// in-process onnxruntime baseline measured in the same run; then Triton's perf_analyzer.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuBudget } from '../runtime/engine/cpus.ts';
import { addModel, imageModel, mlpModel } from '../tools/onnx/models.ts';
import {
  measureHttp,
  measureInProcess,
  probeHealth,
  startHttpFloor,
  startServe,
  type InProcessResult,
  type Latencies,
} from './runtime-load.ts';
import { runPerfAnalyzer } from './runtime-perf-analyzer.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '1.5' }, workers: { type: 'string' } } });
const SECONDS = Number(args.seconds);
const WARMUP = 0.3;
const CONCURRENCY = [1, 4, 16, 64];
const THREADS = cpuBudget();
// One single-threaded session per core by default: while one worker hands a batch over or
// back, the other computes, and 1-thread sessions need no cross-thread sync inside an operator.
const WORKERS = Number(args.workers ?? THREADS);
// --intra-op-threads 0 shares the cores among the workers, as the header line reports.
const SERVE_FLAGS = ['--workers', String(WORKERS), '--intra-op-threads', '0'];
const BATCHING_ON = ['--max-batch-size', '32', '--max-queue-delay-micros', '0'];
// Batching is serve's default now: the "off" cells must turn it off.
const BATCHING_OFF = ['--max-batch-size', '0'];

interface BenchModel {
  readonly key: string;
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly row: readonly number[];
  readonly batches: readonly number[];
}
const MODELS: readonly BenchModel[] = [
  { key: 'tiny', label: 'tiny: y=2x+1, 4 floats', bytes: addModel({ features: 4 }), row: [4], batches: [1, 8, 32] },
  { key: 'mlp', label: 'mlp 784-512-512-10', bytes: mlpModel({ layers: [784, 512, 512, 10] }), row: [784], batches: [1, 8, 32, 64] },
  { key: 'image', label: 'image 1x3x224x224', bytes: imageModel(), row: [3, 224, 224], batches: [1, 8] },
];

interface Cell {
  model: string;
  batching: string;
  encoding: string;
  rows: number;
  concurrency: number;
  result: Latencies;
}
const cells: Cell[] = [];
const baselines = new Map<
  string,
  { batch1: InProcessResult; best: InProcessResult & { batch: number }; byBatch: Map<number, InProcessResult> }
>();

function requestBodies(
  rows: number,
  row: readonly number[],
): Record<'json' | 'binary', { body: Buffer; headers: Record<string, string | number> }> {
  const count = rows * row.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count).fill(0.5);
  const shape = [rows, ...row];
  const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape, data: Array.from(data) }] }));
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape, parameters: { binary_data_size: data.byteLength } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    json: { body: json, headers: { 'Content-Type': 'application/json' } },
    binary: {
      body: Buffer.concat([header, Buffer.from(data.buffer)]),
      headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': header.length },
    },
  };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const pad = (values: readonly string[], widths: readonly number[]) =>
  values.map((v, i) => (i < 3 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');

async function baseline(model: BenchModel): Promise<void> {
  const runs: (InProcessResult & { batch: number })[] = [];
  for (const batch of model.batches)
    runs.push({ ...(await measureInProcess(model.bytes, [batch, ...model.row], THREADS, SECONDS)), batch });
  const best = runs.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
  baselines.set(model.key, { batch1: runs[0]!, best, byBatch: new Map(runs.map((run) => [run.batch, run])) });
}

async function serveCells(model: BenchModel, path: string, batching: boolean): Promise<number | undefined> {
  const server = await startServe(path, [...SERVE_FLAGS, ...(batching ? BATCHING_ON : BATCHING_OFF)]);
  let healthP99: number | undefined;
  try {
    // Warm the server's code paths (JIT, buffers) for both encodings before any cell counts.
    for (const request of Object.values(requestBodies(1, model.row))) {
      await measureHttp({ url: server.url, path: '/v2/models/m/infer', ...request, concurrency: 4, seconds: 0.5, warmupSeconds: 0 });
    }
    const plan: [string, number, number][] = [];
    for (const encoding of ['binary', 'json']) for (const concurrency of CONCURRENCY) plan.push([encoding, 1, concurrency]);
    if (model.key === 'mlp') plan.push(['binary', 8, 16]);
    for (const [encoding, rows, concurrency] of plan) {
      const request = requestBodies(rows, model.row)[encoding as 'json' | 'binary'];
      const load = measureHttp({
        url: server.url,
        path: '/v2/models/m/infer',
        ...request,
        concurrency,
        seconds: SECONDS,
        warmupSeconds: WARMUP,
      });
      const saturatedProbe = model.key === 'mlp' && batching && encoding === 'binary' && concurrency === 64;
      const health = saturatedProbe
        ? await new Promise((r) => setTimeout(r, WARMUP * 1000)).then(() => probeHealth(server.url, SECONDS - 0.2))
        : undefined;
      cells.push({ model: model.key, batching: batching ? 'on' : 'off', encoding, rows, concurrency, result: await load });
      if (health !== undefined) healthP99 = health.p99Ms;
      if (health !== undefined)
        console.log(
          `  health /v2/health/ready while mlp saturated (binary, c=64, batching on): p50 ${fmt(health.p50Ms, 2)} ms, p99 ${fmt(health.p99Ms, 2)} ms over ${health.count} probes`,
        );
    }
  } finally {
    await server.stop();
  }
  return healthP99;
}

function printTable(): void {
  const widths = [6, 3, 7, 5, 5, 9, 10, 8, 8, 9, 9];
  console.log(`\n${pad(['model', 'bat', 'enc', 'rows', 'conc', 'req/s', 'samples/s', 'p50 ms', 'p99 ms', 'vs same', 'vs best'], widths)}`);
  for (const cell of cells) {
    const baseline = baselines.get(cell.model)!;
    const samples = (cell.result.count * cell.rows) / cell.result.seconds;
    const same = baseline.byBatch.get(cell.rows)?.samplesPerSecond ?? NaN;
    console.log(
      pad(
        [
          cell.model,
          cell.batching,
          cell.encoding,
          String(cell.rows),
          String(cell.concurrency),
          fmt(cell.result.count / cell.result.seconds),
          fmt(samples),
          fmt(cell.result.p50Ms, 3),
          fmt(cell.result.p99Ms, 3),
          `${fmt(samples / same, 2)}x`,
          `${fmt(samples / baseline.best.samplesPerSecond, 2)}x`,
        ],
        widths,
      ),
    );
  }
  console.log('vs same: server samples/s / in-process samples/s at the same rows per run; vs best: / in-process best over batch sizes');
}

function samplesOf(model: string, batching: string, rows: number, concurrency: number): number {
  const cell = cells.find(
    (c) => c.model === model && c.batching === batching && c.encoding === 'binary' && c.rows === rows && c.concurrency === concurrency,
  );
  return cell === undefined ? NaN : (cell.result.count * rows) / cell.result.seconds;
}

/** The same tiny binary request against a bare node:http server: what HTTP alone costs here. */
async function httpFloor(): Promise<Latencies> {
  const floor = await startHttpFloor();
  try {
    return await measureHttp({
      url: floor.url,
      path: '/v2/models/m/infer',
      ...requestBodies(1, MODELS[0]!.row).binary,
      concurrency: 1,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
    });
  } finally {
    await floor.stop();
  }
}

function printSummary(healthP99: number | undefined, floor: Latencies): void {
  console.log(
    `\nHTTP floor of this host (bare node:http server, same client, c=1): p50 ${fmt(floor.p50Ms * 1000)} us, p99 ${fmt(floor.p99Ms * 1000)} us`,
  );
  console.log('per-request overhead (server p50, binary, c=1, batching off) - (in-process p50, batch 1):');
  for (const model of MODELS) {
    const server = cells.find(
      (c) => c.model === model.key && c.batching === 'off' && c.encoding === 'binary' && c.concurrency === 1 && c.rows === 1,
    )!;
    const inproc = baselines.get(model.key)!.batch1;
    console.log(
      `  ${model.key.padEnd(6)} ${fmt((server.result.p50Ms - inproc.p50Ms) * 1000)} us  (server ${fmt(server.result.p50Ms * 1000)} us, in-process ${fmt(inproc.p50Ms * 1000)} us)`,
    );
  }
  const best = baselines.get('mlp')!.best;
  const mlp8 = Math.max(samplesOf('mlp', 'off', 8, 16), samplesOf('mlp', 'on', 8, 16));
  console.log(
    `mlp binary batch-8 requests at c=16: ${fmt(mlp8)} samples/s = ${fmt(mlp8 / best.samplesPerSecond, 2)}x in-process best (${fmt(best.samplesPerSecond)} samples/s at batch ${best.batch})`,
  );
  for (const c of [16, 64]) {
    const on = samplesOf('mlp', 'on', 1, c);
    const off = samplesOf('mlp', 'off', 1, c);
    console.log(`mlp binary batch-1 requests at c=${c}: batching on ${fmt(on)} vs off ${fmt(off)} samples/s = ${fmt(on / off, 2)}x`);
  }
  console.log(`health p99 while saturated: ${fmt(healthP99 ?? NaN, 2)} ms`);
}

async function perfAnalyzer(dir: string): Promise<void> {
  console.log('\nperf_analyzer (Triton; HTTP, binary tensors, random data), batching on:');
  console.log(
    `  ${'model'.padEnd(6)} ${'b'.padStart(2)} ${'conc'.padStart(4)} ${'infer/s'.padStart(9)} ${'p50 us'.padStart(8)} ${'p99 us'.padStart(8)} ${'srv queue us'.padStart(12)} ${'srv compute us'.padStart(14)}`,
  );
  for (const [key, batch, concurrency] of [
    ['tiny', 1, [1, 16]],
    ['mlp', 1, [1, 16]],
    ['mlp', 8, [16]],
  ] as const) {
    const server = await startServe(join(dir, `${key}.onnx`), [...SERVE_FLAGS, ...BATCHING_ON]);
    try {
      const result = await runPerfAnalyzer({
        hostPort: server.hostPort,
        model: 'm',
        batch,
        concurrency,
        requestCount: key === 'tiny' ? 2000 : 400,
      });
      if (!result.ok) {
        console.log(`  ${key.padEnd(6)} ${String(batch).padStart(2)} not measured: ${result.reason}`);
        continue;
      }
      for (const row of result.rows) {
        console.log(
          `  ${key.padEnd(6)} ${String(batch).padStart(2)} ${String(row.concurrency).padStart(4)} ${fmt(row.inferPerSecond).padStart(9)} ${fmt(row.p50Us).padStart(8)} ${fmt(row.p99Us).padStart(8)} ${fmt(row.serverQueueUs).padStart(12)} ${fmt(row.serverComputeUs).padStart(14)}`,
        );
      }
    } finally {
      await server.stop();
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-bench-'));
try {
  console.log(
    `kubeinfer runtime benchmark: ${SECONDS}s per cell after ${WARMUP}s warm-up; ${THREADS} cores; server --workers ${WORKERS} (onnxruntime ${Math.max(1, Math.floor(THREADS / WORKERS))} threads each; in-process baseline: 1 session, ${THREADS} threads), batching on = ${BATCHING_ON.join(' ')}`,
  );
  let healthP99: number | undefined;
  for (const model of MODELS) {
    const path = join(dir, `${model.key}.onnx`);
    writeFileSync(path, model.bytes);
    await baseline(model);
    const b = baselines.get(model.key)!;
    console.log(
      `in-process ${model.label}: batch 1 p50 ${fmt(b.batch1.p50Ms * 1000)} us p99 ${fmt(b.batch1.p99Ms * 1000)} us, ${fmt(b.batch1.samplesPerSecond)} samples/s; best ${fmt(b.best.samplesPerSecond)} samples/s at batch ${b.best.batch}`,
    );
    for (const batching of [false, true]) healthP99 = (await serveCells(model, path, batching)) ?? healthP99;
  }
  const floor = await httpFloor();
  printTable();
  printSummary(healthP99, floor);
  await perfAnalyzer(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
