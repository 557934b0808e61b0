// gRPC next to REST on the same model and load, in one run: req/s, p50 and p99 of ModelInfer
// (raw_input_contents, as Triton's clients send) against V2 REST with JSON and with binary
// tensors, straight to `kubeinfer serve` and through `kubeinfer route`. Closed loop: each of
// `concurrency` clients sends its next request when the last one returns. Runtime, router and
// load generator are separate processes on loopback. The load generator shares the cores, so it
// stays light: REST over raw sockets and gRPC over node:http2, each sending one pre-encoded
// request; the `grpc-js` rows use @grpc/grpc-js as a client, which costs more CPU per call.
// Usage: node bench/grpc.ts [--seconds 3] [--concurrency 1,16]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatRouterConfig } from '../contracts/index.ts';
import { freePort } from '../tools/cluster/index.ts';
import { connectGrpc } from '../tools/grpc/client.ts';
import { mlpModel } from '../tools/onnx/models.ts';
import { openRawGrpc, type Client } from './grpc-client.ts';
import { openConnection, type HttpTarget } from './runtime-client.ts';
import { startServe, summarize, type Latencies } from './runtime-load.ts';

const CLI = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));
const FEATURES = 64;
const input = new Float32Array(FEATURES).map((_, i) => i / FEATURES);

type Protocol = { readonly name: string; open(rest: string, grpc: string): Promise<Client> };

function restTarget(url: string, binary: boolean): HttpTarget {
  if (!binary) {
    const body = Buffer.from(
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, FEATURES], datatype: 'FP32', data: Array.from(input) }] }),
    );
    return { url, path: '/v2/models/m/infer', body, headers: { 'Content-Type': 'application/json' } };
  }
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', shape: [1, FEATURES], datatype: 'FP32', parameters: { binary_data_size: input.byteLength } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    url,
    path: '/v2/models/m/infer',
    body: Buffer.concat([header, Buffer.from(input.buffer)]),
    headers: { 'Inference-Header-Content-Length': header.length },
  };
}

const grpcRequest = {
  model_name: 'm',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, FEATURES] }],
  raw_input_contents: [Buffer.from(input.buffer)],
};

const PROTOCOLS: readonly Protocol[] = [
  { name: 'REST JSON', open: (rest) => openConnection(restTarget(rest, false)) },
  { name: 'REST binary', open: (rest) => openConnection(restTarget(rest, true)) },
  { name: 'gRPC raw', open: (_rest, grpc) => openRawGrpc(grpc, grpcRequest) },
  {
    name: 'gRPC grpc-js',
    open: async (_rest, grpc) => {
      const client = connectGrpc(grpc);
      return {
        send: () =>
          client.call('ModelInfer', grpcRequest).then(
            () => true,
            () => false,
          ),
        close: () => client.close(),
      };
    },
  },
];

/** Closed-loop load over `concurrency` clients (each its own connection) for `seconds`, after a short warm-up. */
async function measure(protocol: Protocol, rest: string, grpc: string, concurrency: number, seconds: number): Promise<Latencies> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => protocol.open(rest, grpc)));
  const run = async (ms: number, samples: number[] | undefined) => {
    const end = performance.now() + ms;
    let errors = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const started = performance.now();
          if (!(await client.send())) errors++;
          samples?.push(performance.now() - started);
        }
      }),
    );
    return errors;
  };
  await run(500, undefined);
  const samples: number[] = [];
  const errors = await run(seconds * 1000, samples);
  for (const client of clients) client.close();
  return summarize(samples, seconds, errors);
}

async function firstLine(child: ChildProcess, pick: (line: string) => string | undefined): Promise<string> {
  for await (const line of createInterface({ input: child.stdout! })) {
    const found = pick(line);
    if (found !== undefined) return found;
  }
  throw new Error('the process ended before it was ready');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '1,16' } },
  });
  const seconds = Number(values.seconds);
  const levels = values.concurrency.split(',').map(Number);
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-bench-grpc-'));
  const modelPath = join(dir, 'model.onnx');
  await writeFile(modelPath, mlpModel({ layers: [FEATURES, 256, 256, 10] }));
  const grpcPort = await freePort();
  const serve = await startServe(modelPath, ['--grpc-port', String(grpcPort), '--workers', '1', '--model-version', 'v1']);
  const configPath = join(dir, 'router.json');
  await writeFile(
    configPath,
    formatRouterConfig({
      model: 'm',
      versions: [{ name: 'v1', weight: 100, url: serve.url, grpcUrl: `http://127.0.0.1:${grpcPort}` }],
      mirror: null,
    }),
  );
  const routerGrpc = await freePort();
  const router = spawn(
    process.execPath,
    [
      CLI,
      'route',
      '--config-file',
      configPath,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--grpc-port',
      String(routerGrpc),
      '--shutdown-delay-ms',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const routerUrl = await firstLine(router, (line) => (line.includes('"router listening"') ? String(JSON.parse(line).url) : undefined));
    const paths = [
      ['serve', serve.url, `127.0.0.1:${grpcPort}`],
      ['router', routerUrl, `127.0.0.1:${routerGrpc}`],
    ] as const;
    console.log(
      `MLP ${FEATURES}-256-256-10, batch 1, 1 worker; ${seconds} s per cell; ${availableParallelism()} CPUs shared by runtime, router and load generator`,
    );
    console.log('| path   | conc | protocol     |   req/s | p50 ms | p99 ms | errors | req/s vs REST JSON |');
    console.log('|--------|-----:|--------------|--------:|-------:|-------:|-------:|-------------------:|');
    for (const [path, rest, grpc] of paths) {
      for (const concurrency of levels) {
        let baseline = 0;
        for (const protocol of PROTOCOLS) {
          const cell = await measure(protocol, rest, grpc, concurrency, seconds);
          const rps = cell.count / seconds;
          if (protocol.name === 'REST JSON') baseline = rps;
          console.log(
            `| ${path.padEnd(6)} | ${String(concurrency).padStart(4)} | ${protocol.name.padEnd(12)} | ${rps.toFixed(0).padStart(7)} | ${cell.p50Ms.toFixed(2).padStart(6)} | ${cell.p99Ms.toFixed(2).padStart(6)} | ${String(cell.errors).padStart(6)} | ${(rps / baseline).toFixed(2).padStart(17)}x |`,
          );
        }
      }
    }
  } finally {
    router.kill('SIGTERM');
    await once(router, 'exit');
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
