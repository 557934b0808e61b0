// The load every server gets: wrk (C, one thread, closed loop) POSTing the same body through a
// Lua script, whose `done` hook prints the counts and percentiles as JSON. gRPC, which wrk does
// not speak, gets the light node:http2 client in a closed loop of the same shape.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openRawGrpc } from '../grpc-client.ts';
import { summarize } from '../runtime-load.ts';

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** Server CPU per successful request, in µs (filled in by the caller, which knows the server). */
  readonly cpuMicros?: number;
}

/** One request body and its headers, sent unchanged by every connection. */
export interface RequestShape {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
}

const LUA = `
wrk.method = "POST"
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = file:read("*a")
file:close()
for name, value in string.gmatch(os.getenv("BENCH_HEADERS"), "([^\\n:]+): ([^\\n]+)") do wrk.headers[name] = value end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"micros":%d,"p50":%d,"p99":%d,"status":%d,"socket":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end`;

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'kubeinfer-bench-wrk-'));
const script = join(scratch, 'post.lua');
writeFileSync(script, LUA);
let bodies = 0;

/** wrk against `url`'s V2 infer endpoint for `seconds` at `concurrency` connections. */
export async function wrkLoad(url: string, request: RequestShape, concurrency: number, seconds: number): Promise<LoadResult> {
  const bodyFile = join(scratch, `body-${bodies++}`);
  writeFileSync(bodyFile, request.body);
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const args = ['-t1', `-c${concurrency}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, `${url}/v2/models/m/infer`];
  const { stdout } = await run('wrk', args, { env: { ...process.env, BENCH_BODY: bodyFile, BENCH_HEADERS: headers } });
  const line = stdout.split('\n').find((text) => text.startsWith('{"requests"'));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`);
  const out = JSON.parse(line) as { requests: number; micros: number; p50: number; p99: number; status: number; socket: number };
  const errors = out.status + out.socket;
  return { rps: ((out.requests - out.status) * 1e6) / out.micros, p50Ms: out.p50 / 1000, p99Ms: out.p99 / 1000, errors };
}

/** Closed-loop gRPC ModelInfer load: `concurrency` HTTP/2 connections, each sending `request` back to back. */
export async function grpcLoad(
  address: string,
  request: Record<string, unknown>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => openRawGrpc(address, request)));
  const samples: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end) {
        const started = performance.now();
        if (await client.send()) samples.push(performance.now() - started);
        else errors++;
      }
    }),
  );
  for (const client of clients) client.close();
  const result = summarize(samples, seconds, errors);
  return { rps: result.count / seconds, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors };
}

/** Whether wrk is on PATH (Debian: apt-get install wrk). */
export async function hasWrk(): Promise<boolean> {
  return run('wrk', ['--version']).then(
    () => true,
    (error: { stdout?: string }) => (error.stdout ?? '').includes('wrk'),
  );
}
