// Closed-loop HTTP load on loopback for the router benchmarks: keep-alive workers that
// send the next request when the last returns, and p50/p99 latency in microseconds.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';

export interface Payload {
  readonly name: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
}

export interface Cell {
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
export async function measure(url: string, payload: Payload, concurrency: number, seconds: number): Promise<Cell> {
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

export async function firstLine(child: ChildProcess, match: (line: string) => string | undefined): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const found = match(line);
    if (found !== undefined) return found;
  }
  throw new Error('process ended before printing what the bench waits for');
}
