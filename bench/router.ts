// What the router adds: latency (p50/p99) and throughput of the same requests sent straight
// to a backend and through `kubeinfer route`, at concurrency 1..64, measured in the same
// run. The backend (bench/router-backend.ts) does almost nothing, so the difference is the
// router's cost. Router, backend and load generator are separate processes on loopback.
// Usage: node bench/router.ts [--seconds 2] [--concurrency 1,4,16,64] [--payloads json,binary]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatRouterConfig } from '../contracts/index.ts';
import { firstLine, measure, type Payload } from './load.ts';

const CLI = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));
const BACKEND = fileURLToPath(new URL('./router-backend.ts', import.meta.url));

function payloads(): Record<string, Payload> {
  const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }));
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ name: 'input', shape: [1, 262144], datatype: 'FP32', parameters: { binary_data_size: 1 << 20 } }] }),
  );
  const binary = Buffer.concat([header, Buffer.alloc(1 << 20, 7)]);
  return {
    json: {
      name: `JSON infer (${json.length} B in, ~120 B out)`,
      body: json,
      headers: { 'content-type': 'application/json', 'content-length': json.length },
    },
    binary: {
      name: `binary infer (1 MiB in, 1 MiB out, echoed)`,
      body: binary,
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': header.length,
        'content-length': binary.length,
      },
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '1,4,16,64' },
      payloads: { type: 'string', default: 'json,binary' },
    },
  });
  const seconds = Number(values.seconds);
  const levels = values.concurrency.split(',').map(Number);
  const chosen = values.payloads.split(',').map((name) => payloads()[name]!);
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-bench-router-'));
  const backend = spawn(process.execPath, [BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
  const children: ChildProcess[] = [backend];
  try {
    const backendUrl = `http://127.0.0.1:${await firstLine(backend, (line) => line.trim())}`;
    const configPath = join(dir, 'router.json');
    await writeFile(
      configPath,
      formatRouterConfig({ model: 'bench', versions: [{ name: 'v1', weight: 100, url: backendUrl }], mirror: null }),
    );
    const router = spawn(
      process.execPath,
      [CLI, 'route', '--config-file', configPath, '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--shutdown-delay-ms', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(router);
    const routerUrl = await firstLine(router, (line) => (line.includes('"router listening"') ? String(JSON.parse(line).url) : undefined));
    process.stdout.write(
      `node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${seconds} s per cell, closed loop, keep-alive\n`,
    );
    for (const payload of chosen)
      await table(payload, levels, seconds, `${backendUrl}/v2/models/bench/infer`, `${routerUrl}/v2/models/bench/infer`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}

async function table(payload: Payload, levels: readonly number[], seconds: number, direct: string, routed: string): Promise<void> {
  const us = (n: number) => n.toFixed(0);
  process.stdout.write(`\n${payload.name}\n`);
  process.stdout.write(
    '| concurrency | direct req/s | direct p50 µs | direct p99 µs | router req/s | router p50 µs | router p99 µs | added p50 µs | added p99 µs | router/direct req/s | errors |\n',
  );
  process.stdout.write('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  for (const concurrency of levels) {
    const base = await measure(direct, payload, concurrency, seconds);
    const via = await measure(routed, payload, concurrency, seconds);
    const cells = [
      concurrency,
      us(base.rps),
      us(base.p50),
      us(base.p99),
      us(via.rps),
      us(via.p50),
      us(via.p99),
      us(via.p50 - base.p50),
      us(via.p99 - base.p99),
      (via.rps / base.rps).toFixed(2),
      base.errors + via.errors,
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
}

await main();
