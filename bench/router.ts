// What the router adds: latency (p50/p99) and throughput of the same requests sent straight
// to a backend and through `kubeinfer route`, at concurrency 1..64, measured in the same
// run. The backend (bench/router-backend.ts) does almost nothing, so the difference is the
// router's cost. Router, backend and load generator are separate processes on loopback.
// Usage: node bench/router.ts [--seconds 2] [--concurrency 1,4,16,64] [--payloads json,binary]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatRouterConfig } from '../contracts/index.ts';

const CLI = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));
const BACKEND = fileURLToPath(new URL('./router-backend.ts', import.meta.url));

interface Payload {
  readonly name: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
}

function payloads(): Record<string, Payload> {
  const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }));
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 262144], datatype: 'FP32', parameters: { binary_data_size: 1 << 20 } }] }));
  const binary = Buffer.concat([header, Buffer.alloc(1 << 20, 7)]);
  return {
    json: { name: `JSON infer (${json.length} B in, ~120 B out)`, body: json, headers: { 'content-type': 'application/json', 'content-length': json.length } },
    binary: { name: `binary infer (1 MiB in, 1 MiB out, echoed)`, body: binary, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': header.length, 'content-length': binary.length } },
  };
}

interface Cell {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

function post(url: string, payload: Payload, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: payload.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload.body);
  });
}

/** Closed-loop load: `concurrency` workers, each sending the next request when the last returns. */
async function measure(url: string, payload: Payload, concurrency: number, seconds: number): Promise<Cell> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const run = async (ms: number, latencies: number[] | undefined) => {
    const end = performance.now() + ms;
    let errors = 0;
    const worker = async () => {
      while (performance.now() < end) {
        const start = performance.now();
        const status = await post(url, payload, agent).catch(() => 0);
        if (status !== 200) errors++;
        latencies?.push((performance.now() - start) * 1000);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return errors;
  };
  await run(Math.min(500, seconds * 250), undefined); // warm-up: connections, JIT
  const latencies: number[] = [];
  const started = performance.now();
  const errors = await run(seconds * 1000, latencies);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99), errors };
}

async function firstLine(child: ChildProcess, match: (line: string) => string | undefined): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const found = match(line);
    if (found !== undefined) return found;
  }
  throw new Error('process ended before printing what the bench waits for');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, concurrency: { type: 'string', default: '1,4,16,64' }, payloads: { type: 'string', default: 'json,binary' } } });
  const seconds = Number(values.seconds);
  const levels = values.concurrency.split(',').map(Number);
  const chosen = values.payloads.split(',').map((name) => payloads()[name]!);
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-bench-router-'));
  const backend = spawn(process.execPath, [BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
  const children: ChildProcess[] = [backend];
  try {
    const backendUrl = `http://127.0.0.1:${await firstLine(backend, (line) => line.trim())}`;
    const configPath = join(dir, 'router.json');
    await writeFile(configPath, formatRouterConfig({ model: 'bench', versions: [{ name: 'v1', weight: 100, url: backendUrl }], mirror: null }));
    const router = spawn(process.execPath, [CLI, 'route', '--config-file', configPath, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--shutdown-delay-ms', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(router);
    const routerUrl = await firstLine(router, (line) => (line.includes('"router listening"') ? String(JSON.parse(line).url) : undefined));
    process.stdout.write(`node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${seconds} s per cell, closed loop, keep-alive\n`);
    for (const payload of chosen) await table(payload, levels, seconds, `${backendUrl}/v2/models/bench/infer`, `${routerUrl}/v2/models/bench/infer`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}

async function table(payload: Payload, levels: readonly number[], seconds: number, direct: string, routed: string): Promise<void> {
  const us = (n: number) => n.toFixed(0);
  process.stdout.write(`\n${payload.name}\n`);
  process.stdout.write('| concurrency | direct req/s | direct p50 µs | direct p99 µs | router req/s | router p50 µs | router p99 µs | added p50 µs | added p99 µs | router/direct req/s | errors |\n');
  process.stdout.write('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  for (const concurrency of levels) {
    const base = await measure(direct, payload, concurrency, seconds);
    const via = await measure(routed, payload, concurrency, seconds);
    const cells = [concurrency, us(base.rps), us(base.p50), us(base.p99), us(via.rps), us(via.p50), us(via.p99), us(via.p50 - base.p50), us(via.p99 - base.p99), (via.rps / base.rps).toFixed(2), base.errors + via.errors];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}

await main();
