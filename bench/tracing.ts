// What tracing costs: req/s and latency of the same inference requests through router ->
// serve (both real CLI processes, a real ONNX model) for the code before tracing existed
// (a checkout given with --baseline), this code with tracing off, and this code exporting
// every span to an OTLP receiver in this process. Variants are measured in turns, round
// after round, so drift on a busy host spreads over all three.
// Usage: node bench/tracing.ts --baseline <checkout> [--seconds 5] [--concurrency 8] [--rounds 2]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatRouterConfig, OTLP_ENDPOINT } from '../contracts/index.ts';
import { addModel } from '../tools/onnx/models.ts';
import { startOtlpReceiver } from '../tools/otlp/receiver.ts';
import { firstLine, measure, type Cell, type Payload } from './load.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface Variant {
  readonly name: string;
  readonly root: string;
  readonly otlpEndpoint: string | undefined;
}

const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }));
const payload: Payload = { name: 'JSON infer', body: json, headers: { 'content-type': 'application/json', 'content-length': json.length } };

/** Starts `kubeinfer <args>` from `root` and gives the value `match` finds in its first matching log line. */
async function startCli(
  root: string,
  args: readonly string[],
  endpoint: string | undefined,
  children: ChildProcess[],
  match: (line: string) => string | undefined,
) {
  const env = { ...process.env };
  delete env[OTLP_ENDPOINT.env];
  if (endpoint !== undefined) env[OTLP_ENDPOINT.env] = endpoint;
  const child = spawn(process.execPath, [join(root, 'bin/kubeinfer.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  children.push(child);
  return firstLine(child, match);
}

/** serve + router of one variant; resolves with the router's inference URL. */
async function startVariant(variant: Variant, dir: string, children: ChildProcess[]): Promise<string> {
  const model = join(dir, 'model.onnx');
  const serveArgs = ['serve', '--model', model, '--name', 'm', '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0'];
  let port = '';
  await startCli(variant.root, serveArgs, variant.otlpEndpoint, children, (line) => {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.port !== undefined) port = String(entry.port);
    return entry.msg === 'model ready' ? port : undefined;
  });
  const config = join(dir, `router-${variant.name.replace(/\W+/g, '-')}.json`);
  await writeFile(
    config,
    formatRouterConfig({ model: 'm', versions: [{ name: 'v1', weight: 100, url: `http://127.0.0.1:${port}` }], mirror: null }),
  );
  const routeArgs = [
    'route',
    '--config-file',
    config,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--grpc-port',
    '0',
    '--shutdown-delay-ms',
    '0',
  ];
  const url = await startCli(variant.root, routeArgs, variant.otlpEndpoint, children, (line) =>
    line.includes('"router listening"') ? String(JSON.parse(line).url) : undefined,
  );
  return `${url}/v2/models/m/infer`;
}

function mean(cells: readonly Cell[], key: keyof Cell): number {
  return cells.reduce((sum, cell) => sum + cell[key], 0) / cells.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string' },
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
    },
  });
  if (values.baseline === undefined) throw new Error('--baseline <checkout of the code before tracing> is required');
  const [seconds, concurrency, rounds] = [Number(values.seconds), Number(values.concurrency), Number(values.rounds)];
  const receiver = await startOtlpReceiver(false);
  const variants: Variant[] = [
    { name: 'before tracing (baseline)', root: resolve(values.baseline), otlpEndpoint: undefined },
    { name: 'tracing off', root: ROOT, otlpEndpoint: undefined },
    { name: 'tracing on (OTLP/HTTP)', root: ROOT, otlpEndpoint: receiver.endpoint },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-bench-tracing-'));
  const children: ChildProcess[] = [];
  try {
    await writeFile(join(dir, 'model.onnx'), addModel());
    const urls = [];
    for (const variant of variants) urls.push(await startVariant(variant, dir, children));
    const cells: Cell[][] = variants.map(() => []);
    for (let round = 0; round < rounds; round++)
      for (const [index, url] of urls.entries()) cells[index]!.push(await measure(url, payload, concurrency, seconds));
    report(variants, cells, { seconds, concurrency, rounds });
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  variants: readonly Variant[],
  cells: readonly Cell[][],
  run: { seconds: number; concurrency: number; rounds: number },
): void {
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  process.stdout.write(
    `node ${process.version}, ${availableParallelism()} CPUs, load average ${load}; router -> serve (addModel), ${run.concurrency} keep-alive workers, ${run.rounds} x ${run.seconds} s per variant, in turns\n\n`,
  );
  process.stdout.write(
    '| variant | req/s | p50 µs | p99 µs | req/s vs baseline | p50 vs baseline | errors |\n|---|---:|---:|---:|---:|---:|---:|\n',
  );
  const base = cells[0]!;
  for (const [index, variant] of variants.entries()) {
    const own = cells[index]!;
    const row = [
      variant.name,
      mean(own, 'rps').toFixed(0),
      mean(own, 'p50').toFixed(0),
      mean(own, 'p99').toFixed(0),
      (mean(own, 'rps') / mean(base, 'rps')).toFixed(3),
      (mean(own, 'p50') / mean(base, 'p50')).toFixed(3),
      own.reduce((sum, cell) => sum + cell.errors, 0),
    ];
    process.stdout.write(`| ${row.join(' | ')} |\n`);
  }
}

await main();
