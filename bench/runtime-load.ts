// Load generation for the runtime benchmark: a `kubeinfer serve` subprocess, closed-loop
// HTTP clients at a fixed concurrency, an in-process onnxruntime baseline, and a health
// prober on its own thread (so the load generator's event loop does not inflate it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadOnnxRuntime } from '../runtime/onnx/runtime.ts';
import { openConnection, type HttpTarget, type LoadConnection } from './runtime-client.ts';

const CLI = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));

export interface Latencies {
  readonly count: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** p50/p99 of latencies in ms. */
export function summarize(samplesMs: number[], seconds: number, errors = 0): Latencies {
  const sorted = samplesMs.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

export interface ServeHandle {
  readonly url: string;
  readonly hostPort: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A server subprocess listening on loopback `port`; `stop` sends SIGTERM and waits for the exit. */
function loopbackHandle(child: ChildProcess, exited: Promise<void>, port: number): ServeHandle {
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Starts `kubeinfer serve` on a free loopback port and waits until the model is ready. */
export async function startServe(modelPath: string, flags: readonly string[]): Promise<ServeHandle> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--model', modelPath, '--name', 'm', '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', ...flags],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port = 0;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as { msg?: string; port?: number; reason?: string };
      if (line.port !== undefined) port = line.port;
      if (line.msg === 'model ready') resolve();
      if (line.reason !== undefined) reject(new Error(line.reason));
    });
    void exited.then(() => reject(new Error('kubeinfer serve exited')));
  });
  return loopbackHandle(child, exited, port);
}

const FLOOR_SERVER = `
const server = require('node:http').createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 2 }); res.end('{}'); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => process.exit(0));`;

/** A bare node:http server that reads the body and answers {}: the HTTP floor of this host. */
export function startHttpFloor(): Promise<ServeHandle> {
  return startPortPrinter(['-e', FLOOR_SERVER]);
}

/** Runs `node <args>`, a server that prints {"port": N} as its first line once listening. */
export async function startPortPrinter(args: readonly string[]): Promise<ServeHandle> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', (text) => resolve((JSON.parse(text) as { port: number }).port)),
  );
  return loopbackHandle(child, exited, port);
}

export interface HttpLoad extends HttpTarget {
  readonly concurrency: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** Closed-loop load: `concurrency` clients each sending the same request back to back on one keep-alive connection. */
export async function measureHttp(load: HttpLoad): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  const start = performance.now();
  const warmEnd = start + load.warmupSeconds * 1000;
  const end = warmEnd + load.seconds * 1000;
  const client = async () => {
    let connection: LoadConnection | undefined;
    for (let now = performance.now(); now < end; now = performance.now()) {
      connection ??= await openConnection(load);
      const ok = await connection.send();
      const done = performance.now();
      if (!ok) {
        connection.close();
        connection = undefined;
      }
      if (now >= warmEnd && done <= end) {
        if (ok) samples.push(done - now);
        else errors++;
      }
    }
    connection?.close();
  };
  await Promise.all(Array.from({ length: load.concurrency }, client));
  return summarize(samples, load.seconds, errors);
}

export interface InProcessResult extends Latencies {
  readonly samplesPerSecond: number;
}

/** Sequential session.run of one batch in this process, with the server's thread count. */
export async function measureInProcess(
  model: Uint8Array,
  inputDims: readonly number[],
  threads: number,
  seconds: number,
): Promise<InProcessResult> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const data = new Float32Array(inputDims.reduce((a, b) => a * b, 1)).fill(0.5);
  const feeds = () => ({ [session.inputNames[0]!]: new ort.Tensor('float32', data, [...inputDims]) });
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await session.run(feeds());
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  for (let now = performance.now(); now < end; now = performance.now()) {
    await session.run(feeds());
    samples.push(performance.now() - now);
  }
  await session.release();
  const result = summarize(samples, seconds);
  return { ...result, samplesPerSecond: (result.count * inputDims[0]!) / seconds };
}

const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const { request, Agent } = require('node:http');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const samples = [];
const end = performance.now() + workerData.seconds * 1000;
const probe = () => new Promise((resolve) => {
  const started = performance.now();
  request(workerData.url + '/v2/health/ready', { agent }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - started)); })
    .on('error', () => resolve(NaN)).end();
});
(async () => {
  while (performance.now() < end) { samples.push(await probe()); await new Promise((r) => setTimeout(r, 2)); }
  agent.destroy();
  parentPort.postMessage(samples);
})();`;

/** Probes /v2/health/ready from a separate thread for `seconds`; resolves with latencies. */
export function probeHealth(url: string, seconds: number): Promise<Latencies> {
  const worker = new Worker(PROBE, { eval: true, workerData: { url, seconds } });
  return new Promise((resolve) =>
    worker.once('message', (samples: number[]) => {
      void worker.terminate();
      resolve(
        summarize(
          samples.filter((s) => !Number.isNaN(s)),
          seconds,
          samples.filter(Number.isNaN).length,
        ),
      );
    }),
  );
}
