// The servers bench/peers.ts compares, each started on loopback serving one model as 'm' over
// V2 REST: the bare Node stack, `kubeinfer serve` with given flags, and the Python peers. Each
// runs in its own process group, so stopping it also stops what it started (tritonserver,
// MLServer's workers).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/cluster/index.ts';
import type { PeerName } from './venvs.ts';

const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.ts', import.meta.url));
const PEER_SERVERS = fileURLToPath(new URL('./servers.py', import.meta.url));
const MLSERVER_RUNTIME = fileURLToPath(new URL('./mlserver_runtime.py', import.meta.url));
const READY_TIMEOUT_MS = 180_000;

export interface Contender {
  readonly name: string;
  readonly url: string;
  /** 127.0.0.1:port of kubeinfer's gRPC service, when it has one. */
  readonly grpcAddress?: string | undefined;
  /** CPU seconds (user + system) used so far by every process of the server's group. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

// Linux's USER_HZ: /proc times are in ticks of 1/100 s on every architecture Node runs on.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds of the processes in group `pgid` (the server, tritonserver, MLServer's workers),
 * read from /proc: the cost per request that load from other work on the host inflates least.
 */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // The process ended between the listing and the read.
    }
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Keeps the last lines a process wrote, for the error when it does not come up. */
function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on('line', (line) => lines.push(line) > 8 && lines.shift());
  }
  return () => lines.join('\n');
}

async function untilModelReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before it was ready:\n${output()}`);
    const ready = await fetch(`${url}/v2/models/m/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
  throw new Error(`not ready after ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
}

// Servers run in process groups of their own, so an interrupted benchmark stops them itself.
const running = new Set<() => Promise<void>>();

/** Stops every server still running (for SIGINT and SIGTERM of the benchmark). */
export function stopAll(): Promise<void> {
  return Promise.all([...running].map((stop) => stop())).then(() => undefined);
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        // The group is already gone.
      }
    };
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    signal('SIGKILL');
  };
  running.add(stop);
  return stop;
}

/** Starts `command` in its own process group and waits until `url` has model 'm' ready. */
async function startProcess(name: string, url: string, command: string, args: readonly string[], cwd?: string): Promise<Contender> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd });
  const stop = stopper(child);
  const output = tail(child);
  try {
    await untilModelReady(url, child, output);
  } catch (error) {
    await stop();
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  return { name, url, cpuSeconds: () => groupCpuSeconds(child.pid!), stop };
}

/** Runs a Node server that prints {"port": N} on its first line; returns that port once 'm' is ready. */
async function startNode(name: string, args: readonly string[], grpcPort?: number): Promise<Contender> {
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = stopper(child);
  const output = tail(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (text) => {
        if (text.startsWith('{') && typeof JSON.parse(text).port === 'number') resolve(JSON.parse(text).port);
      });
      child.once('exit', () => reject(new Error(`exited:\n${output()}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    await untilModelReady(url, child, output);
    const grpcAddress = grpcPort === undefined ? undefined : `127.0.0.1:${grpcPort}`;
    return { name, url, grpcAddress, cpuSeconds: () => groupCpuSeconds(child.pid!), stop };
  } catch (error) {
    await stop();
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}

/** plain node:http + onnxruntime-node, one thread. */
export function startBare(modelPath: string): Promise<Contender> {
  return startNode('bare', [BARE, modelPath]);
}

/** `kubeinfer serve` with `flags`, HTTP and gRPC on loopback. */
export async function startKubeinfer(name: string, modelPath: string, flags: readonly string[]): Promise<Contender> {
  const grpcPort = await freePort();
  const args = [CLI, 'serve', '--model', modelPath, '--name', 'm', '--host', '127.0.0.1', '--port', '0'];
  return startNode(name, [...args, '--grpc-port', String(grpcPort), ...flags], grpcPort);
}

// MLServer's adaptive batching as its docs configure it: up to 32 requests, waiting at most 2 ms.
const MLSERVER_BATCHING = { max_batch_size: 32, max_batch_time: 0.002 };

/** A Python peer from its venv's `python`; `batching` turns on MLServer's adaptive batching. */
export async function startPeer(peer: PeerName, python: string, modelPath: string, batching = false): Promise<Contender> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  if (peer === 'kserve') return startProcess(peer, url, python, [PEER_SERVERS, 'kserve', modelPath, String(port)]);
  if (peer === 'pytriton') {
    const [grpc, metrics] = [await freePort(), await freePort()];
    return startProcess(peer, url, python, [PEER_SERVERS, 'pytriton', modelPath, String(port), String(grpc), String(metrics)]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-bench-mlserver-'));
  cpSync(MLSERVER_RUNTIME, join(dir, 'mlserver_runtime.py'));
  const settings = {
    host: '127.0.0.1',
    http_port: port,
    grpc_port: await freePort(),
    metrics_port: await freePort(),
    metrics_endpoint: null,
    parallel_workers: 0,
    debug: false,
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
  const modelSettings = {
    name: 'm',
    implementation: 'mlserver_runtime.OnnxRuntimeModel',
    parameters: { uri: modelPath },
    ...(batching ? MLSERVER_BATCHING : {}),
  };
  writeFileSync(join(dir, 'model-settings.json'), JSON.stringify(modelSettings));
  const start = `import sys; from mlserver.cli import main; sys.argv = ['mlserver', 'start', '.']; main()`;
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const mlserver = await startProcess(peer, url, python, ['-c', start], dir).catch((error: Error) => {
    removeDir();
    throw error;
  });
  return { ...mlserver, name: batching ? 'mlserver batching' : peer, stop: () => mlserver.stop().then(removeDir) };
}
