// Benchmark: `kubeinfer fetch-model` downloading a large model, with its memory.
//   node bench/storage.ts [--size 1Gi] [--moto-size 1Gi] [--runs 3] [--no-moto]
// The model is generated on the fly (a repeated random MiB) by a loopback node:http
// server, and uploaded by streaming into moto (PyPI `moto[server]`) for the S3 cell.
// Each download runs as its own `kubeinfer fetch-model` process, as in the init
// container; its RSS is sampled from /proc every 50 ms and its peak read from VmHWM.
// The baseline is the floor of the same approach: a bare fetch() piped to a file.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { request, type ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { AwsV4Signer } from 'aws4fetch';
import { parseByteQuantity } from '../runtime/storage/command.ts';
import { startHttpServer, startMoto, tempDir, type Running } from '../tools/storage/servers.ts';

const MIB = 1024 * 1024;
const BLOCK = randomBytes(MIB);
const cli = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));
const self = fileURLToPath(import.meta.url);

interface Cell {
  readonly name: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly rssBefore: number;
  readonly rssPeak: number;
  readonly rssAfter: number;
  readonly progressLines: number;
  readonly sampleLine: string;
}

/** Writes `size` bytes of the repeated block, honouring backpressure. */
async function streamModel(res: ServerResponse | import('node:http').ClientRequest, size: number): Promise<void> {
  for (let sent = 0; sent < size; sent += MIB) {
    const chunk = size - sent >= MIB ? BLOCK : BLOCK.subarray(0, size - sent);
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  await new Promise<void>((resolve) => res.end(resolve));
}

function rssOf(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (status) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024,
    () => 0,
  );
}

/** Runs one download in its own process and samples its memory. */
async function measure(name: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Cell> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const samples: { at: number; rss: number }[] = [];
  let peak = 0;
  let startedAt = 0;
  let doneAt = 0;
  let output = '';
  const sampler = setInterval(async () => {
    const [rss, hwm] = await Promise.all([rssOf(child.pid!, 'VmRSS'), rssOf(child.pid!, 'VmHWM')]);
    if (rss > 0) samples.push({ at: performance.now(), rss });
    peak = Math.max(peak, hwm);
  }, 50);
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
    if (!startedAt && /fetch-model start|baseline start/.test(output)) startedAt = performance.now();
    if (!doneAt && /fetch-model done|baseline done/.test(output)) doneAt = performance.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${name}: exited with ${code}\n${output}`);
  const lines = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const done = lines.find((line) => line.msg === 'fetch-model done' || line.msg === 'baseline done')!;
  const [first] = samples;
  if (!first) throw new Error(`${name}: no memory samples (the run ended before the first 50 ms sample)`);
  const before = samples.find((sample) => sample.at >= startedAt) ?? first;
  const after = samples.filter((sample) => sample.at <= doneAt).at(-1) ?? samples.at(-1) ?? first;
  const progress = lines.filter((line) => line.msg === 'fetch-model progress');
  return {
    name,
    bytes: Number(done.bytes),
    seconds: Number(done.seconds),
    rssBefore: before.rss,
    rssPeak: peak,
    rssAfter: after.rss,
    progressLines: progress.length,
    sampleLine: progress.length ? JSON.stringify(progress[Math.floor(progress.length / 2)]) : '',
  };
}

/** The baseline child: fetch() piped straight into a file, nothing else. */
async function baseline(url: string, file: string): Promise<void> {
  const started = performance.now();
  console.log(JSON.stringify({ msg: 'baseline start' }));
  const response = await fetch(url);
  let bytes = 0;
  const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>).on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(body, createWriteStream(file));
  console.log(JSON.stringify({ msg: 'baseline done', bytes, seconds: (performance.now() - started) / 1000 }));
}

async function uploadToMoto(moto: Running, key: string, size: number): Promise<void> {
  await fetch(`${moto.url}/models`, { method: 'PUT' });
  const url = `${moto.url}/models/${key}`;
  const signed = await new AwsV4Signer({
    url,
    method: 'PUT',
    accessKeyId: 'bench',
    secretAccessKey: 'bench',
    service: 's3',
    region: 'us-east-1',
    headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(size) },
  }).sign();
  const target = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'PUT', headers: Object.fromEntries(signed.headers) },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`upload to moto: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    void streamModel(req, size);
  });
}

/** The fastest run, with the highest peak RSS of all runs. */
function best(runs: readonly Cell[]): Cell {
  const fastest = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...fastest, rssPeak: Math.max(...runs.map((run) => run.rssPeak)) };
}

function expectedSha256(size: number): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < size; sent += MIB) hash.update(size - sent >= MIB ? BLOCK : BLOCK.subarray(0, size - sent));
  return hash.digest('hex');
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

function printTable(cells: readonly Cell[]): void {
  const header = ['download', 'bytes', 'seconds', 'MiB/s', 'vs baseline', 'RSS before', 'peak RSS', 'RSS after', 'progress lines'];
  const rate = (cell: Cell) => cell.bytes / MIB / cell.seconds;
  const base = cells.find((cell) => cell.name.startsWith('baseline'));
  const rows = cells.map((cell) => [
    cell.name,
    String(cell.bytes),
    cell.seconds.toFixed(2),
    rate(cell).toFixed(0),
    base ? `${(rate(cell) / rate(base)).toFixed(2)}x` : '-',
    mib(cell.rssBefore),
    mib(cell.rssPeak),
    mib(cell.rssAfter),
    String(cell.progressLines),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) => `| ${cells.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, url, file] = argv;
  if (command === 'baseline') {
    if (url === undefined || file === undefined) throw new Error('usage: baseline <url> <file>');
    return baseline(url, file);
  }
  const flag = (name: string, fallback: string): string => {
    const at = argv.indexOf(name);
    if (at < 0) return fallback;
    const value = argv[at + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    return value;
  };
  const size = parseByteQuantity(flag('--size', '1Gi'))!;
  const motoSize = parseByteQuantity(flag('--moto-size', '1Gi'))!;
  const runs = Number(flag('--runs', '3'));
  const work = await tempDir('kubeinfer-bench-storage-');
  const server = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    void streamModel(res, size);
  });
  let moto: Running | null = null;
  const cells: Cell[] = [];
  try {
    const url = `${server.url}/model.onnx`;
    const noSecrets = { KUBEINFER_STORAGE_CREDENTIALS_DIR: path.join(work.dir, 'none') };
    const sha256 = expectedSha256(size);
    const httpCells: readonly [string, readonly string[], NodeJS.ProcessEnv][] = [
      ['baseline: fetch() -> file (http)', [self, 'baseline', url, path.join(work.dir, 'out', 'baseline.bin')], {}],
      ['fetch-model http://', [cli, 'fetch-model', url, path.join(work.dir, 'out'), '--progress-interval', '1'], noSecrets],
      [
        'fetch-model http:// --sha256',
        [cli, 'fetch-model', url, path.join(work.dir, 'out'), '--progress-interval', '1', '--sha256', sha256],
        noSecrets,
      ],
    ];
    // Interleaved rounds, best time kept: the machine is shared and noisy.
    const rounds = httpCells.map((cell) => ({ cell, runs: [] as Cell[] }));
    for (let round = 0; round < runs; round += 1) {
      for (const {
        cell: [name, args, env],
        runs: measured,
      } of rounds) {
        await mkdir(path.join(work.dir, 'out'), { recursive: true });
        measured.push(await measure(name, args, env));
        await rm(path.join(work.dir, 'out'), { recursive: true });
      }
    }
    cells.push(...rounds.map((round) => best(round.runs)));
    if (!argv.includes('--no-moto')) {
      moto = await startMoto();
      const uploadStart = performance.now();
      await uploadToMoto(moto, 'big/model.onnx', motoSize);
      console.log(`uploaded ${mib(motoSize)} to moto in ${((performance.now() - uploadStart) / 1000).toFixed(1)} s`);
      const s3Env = { ...noSecrets, AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
      cells.push(
        await measure(
          'fetch-model s3:// (moto)',
          [cli, 'fetch-model', 's3://models/big/', path.join(work.dir, 's3'), '--progress-interval', '1'],
          s3Env,
        ),
      );
    }
  } finally {
    await moto?.stop();
    await server.stop();
    await work.remove();
  }
  printTable(cells);
  for (const cell of cells.filter((c) => c.sampleLine)) console.log(`\n${cell.name}, a progress line:\n${cell.sampleLine}`);
}

await main(process.argv.slice(2));
