// Health checks while large JSON responses are being written: `kubeinfer serve` answers
// 1024 x 1024 FP32 (binary in) as JSON text (about 12 MB each) back to back, and /v2/health/live
// is timed meanwhile; the baselines in the same run are an idle server and the same
// inferences answered with binary output. Loopback only; about 30 s.
// Usage: node bench/json-responses.ts [--seconds 8] [--clients 2]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { addModel } from '../tools/onnx/models.ts';
import { wideRequest } from '../test/runtime/load.ts';
import { startServe, summarize } from './runtime-load.ts';
import type { Latencies } from './runtime-load.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, clients: { type: 'string', default: '2' } } });
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const ROWS = 1024;

/** Inference requests back to back from `CLIENTS` clients until `done()`; resolves with the answers by status. */
async function inferLoop(url: string, binaryOutput: boolean, done: () => boolean): Promise<Map<number, number>> {
  const { body, headers } = wideRequest(ROWS, binaryOutput);
  const agent = new Agent({ keepAlive: true });
  const statuses = new Map<number, number>();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!done()) {
        const status = await new Promise<number>((resolve) => {
          const req = request(`${url}/v2/models/m/infer`, { method: 'POST', agent, headers }, (res) => {
            res.resume();
            res.once('end', () => resolve(res.statusCode!));
          });
          req.once('error', () => resolve(0));
          req.end(body);
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  agent.destroy();
  return statuses;
}

/** Liveness latencies, one check at a time every 20 ms, for `SECONDS`. */
async function probe(url: string): Promise<Latencies> {
  const latencies: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await fetch(`${url}/v2/health/live`).then((res) => res.arrayBuffer());
    latencies.push(performance.now() - started);
    await sleep(20);
  }
  return summarize(latencies, SECONDS);
}

async function scenario(url: string, output: 'none' | 'binary' | 'json'): Promise<[Latencies, string]> {
  if (output === 'none') return [await probe(url), '-'];
  let done = false;
  const load = inferLoop(url, output === 'binary', () => done);
  await sleep(500);
  const health = await probe(url);
  done = true;
  const statuses = await load;
  return [health, [...statuses].map(([status, n]) => `${status}: ${n}`).join(', ')];
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-json-responses-'));
  const model = join(dir, 'wide.onnx');
  await writeFile(model, addModel({ features: 1024 }));
  const server = await startServe(model, []);
  const rows: [string, Latencies, string][] = [];
  for (const [name, output] of [
    ['idle', 'none'],
    [`${CLIENTS} clients, ${ROWS}x1024 FP32, binary output`, 'binary'],
    [`${CLIENTS} clients, ${ROWS}x1024 FP32, JSON output`, 'json'],
  ] as const) {
    rows.push([name, ...(await scenario(server.url, output))]);
  }
  await server.stop();
  await rm(dir, { recursive: true, force: true });
  const idle = rows[0]![1];
  console.log('\n| load | responses | health checks | p50 ms | p99 ms | p99 vs idle |\n|---|---|---|---|---|---|');
  for (const [name, health, answers] of rows) {
    console.log(
      `| ${name} | ${answers} | ${health.count} | ${health.p50Ms.toFixed(1)} | ${health.p99Ms.toFixed(1)} | ${(health.p99Ms / idle.p99Ms).toFixed(1)}x |`,
    );
  }
}

await main();
