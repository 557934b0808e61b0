// Serve defaults against the bare stack: `node bench/serve-tuning.ts [--model tiny|mlp]
// [--seconds 1] [--reps 3] [--concurrency 1,16,64]`. Every server runs side by side and each
// cell is measured in turn, repetition after repetition, so the host's noise (a shared
// machine) hits every column alike; the table prints the median req/s and p50 of the
// repetitions and the ratio to the bare stack (node:http + onnxruntime-node in-process on one
// thread) measured in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addModel, mlpModel } from '../tools/onnx/models.ts';
import { measureHttp, startPortPrinter, startServe, type Latencies, type ServeHandle } from './runtime-load.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'tiny' },
    seconds: { type: 'string', default: '1' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,16,64' },
    variants: { type: 'string' },
  },
});
const MODELS: Record<string, { bytes: Uint8Array; features: number }> = {
  tiny: { bytes: addModel({ features: 4 }), features: 4 },
  mlp: { bytes: mlpModel({ layers: [784, 512, 512, 10] }), features: 784 },
};
const QUIET = ['--shutdown-delay-ms', '0'];
/** kubeinfer configurations compared; `defaults` is serve with no tuning flag at all. */
const VARIANTS: Record<string, readonly string[]> = {
  defaults: [],
  'batching off': ['--max-batch-size', '0'],
  'before: 1w 0t no batch': ['--workers', '1', '--intra-op-threads', '0', '--max-batch-size', '0'],
  'wait 2ms pref 32': ['--preferred-batch-size', '32', '--max-queue-delay-micros', '2000'],
  '1w 1t': ['--workers', '1', '--intra-op-threads', '1'],
  '1w 2t': ['--workers', '1', '--intra-op-threads', '2'],
  '2w 1t': ['--workers', '2', '--intra-op-threads', '1'],
  '2w 2t': ['--workers', '2', '--intra-op-threads', '2'],
};
const BARE = fileURLToPath(new URL('./peers/bare-server.ts', import.meta.url));

const model = MODELS[args.model];
if (model === undefined) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
const chosen = args.variants === undefined ? Object.keys(VARIANTS) : args.variants.split(',');
const unknown = chosen.filter((name) => !(name in VARIANTS));
if (unknown.length > 0) throw new Error(`unknown --variants ${unknown.join(', ')}; choose from: ${Object.keys(VARIANTS).join(', ')}`);
const concurrencies = args.concurrency.split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-tuning-'));
const path = join(dir, 'model.onnx');
writeFileSync(path, model.bytes);
const body = Buffer.from(
  JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, model.features], data: new Array(model.features).fill(0.5) }] }),
);
const request = { path: '/v2/models/m/infer', body, headers: { 'Content-Type': 'application/json' } };

const servers = new Map<string, ServeHandle>();
const results = new Map<string, Latencies[]>();
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (result: Latencies) => (result.count - result.errors) / result.seconds;

async function measureRound(): Promise<void> {
  for (const concurrency of concurrencies) {
    for (const [name, server] of servers) {
      const result = await measureHttp({ url: server.url, ...request, concurrency, seconds: Number(args.seconds), warmupSeconds: 0.2 });
      const key = `${name}|${concurrency}`;
      results.set(key, [...(results.get(key) ?? []), result]);
    }
  }
}

function printTable(): void {
  const names = [...servers.keys()];
  console.log(`\nmodel ${args.model}, V2 JSON batch 1, median of ${args.reps} alternating repetitions of ${args.seconds} s`);
  console.log(['conc', ...names.map((name) => name.padStart(26))].join(' '));
  for (const concurrency of concurrencies) {
    const bare = median((results.get(`bare|${concurrency}`) ?? []).map(rate));
    const cells = names.map((name) => {
      const runs = results.get(`${name}|${concurrency}`) ?? [];
      const perSecond = median(runs.map(rate));
      const p50 = median(runs.map((run) => run.p50Ms));
      const errors = runs.reduce((sum, run) => sum + run.errors, 0);
      const text = `${perSecond.toFixed(0)}/s ${(perSecond / bare).toFixed(2)}x ${(p50 * 1000).toFixed(0)}us${errors > 0 ? ` E${errors}` : ''}`;
      return text.padStart(26);
    });
    console.log([String(concurrency).padEnd(4), ...cells].join(' '));
  }
}

try {
  servers.set('bare', await startPortPrinter([BARE, path]));
  for (const name of chosen) servers.set(name, await startServe(path, [...QUIET, ...VARIANTS[name]!]));
  for (let rep = 0; rep < Number(args.reps); rep++) await measureRound();
  printTable();
} finally {
  await Promise.all([...servers.values()].map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
}
