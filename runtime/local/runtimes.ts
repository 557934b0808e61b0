// One `kubeinfer serve` child process per version, on a free loopback port, reported
// ready once its /v2/health/ready answers 200. Output is kept (last lines) to explain a
// failure, and shown live with --verbose.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));
const KEPT_LINES = 40;

export interface RuntimeSpec {
  readonly model: string;
  readonly version: string;
  readonly modelPath: string;
  readonly env: Readonly<Record<string, string>>;
  /** Receives every output line, prefixed with the version, when set. */
  readonly echo?: (line: string) => void;
}

export interface RunningRuntime {
  readonly version: string;
  readonly url: string;
  /** Its gRPC endpoint, `http://127.0.0.1:<port>` (h2c). */
  readonly grpcUrl: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<string>;
  /** The last lines it printed. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `kubeinfer serve` for one version; resolves once it listens (not yet ready). */
export async function startRuntime(spec: RuntimeSpec): Promise<RunningRuntime> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      ...spec.env,
      KUBEINFER_MODEL_PATH: spec.modelPath,
      KUBEINFER_MODEL_NAME: spec.model,
      KUBEINFER_MODEL_VERSION: spec.version,
      KUBEINFER_PORT: String(port),
      KUBEINFER_GRPC_PORT: String(grpcPort),
      KUBEINFER_HOST: '127.0.0.1',
      // Local mode stops the router before its runtimes: nothing can reach a stopping runtime to wait for.
      KUBEINFER_SHUTDOWN_DELAY_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only `kubeinfer run`, which stops children in order.
    detached: true,
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      spec.echo?.(`[${spec.version}] ${line}`);
    });
  }
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`)));
  return {
    version: spec.version,
    url: `http://127.0.0.1:${port}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    pid: child.pid ?? -1,
    exited,
    recentOutput: () => lines.join('\n'),
    stop: (graceMs = 10_000) => stopChild(child, exited, graceMs),
  };
}

/** Polls /v2/health/ready until 200; rejects with the runtime's output if it exits or times out. */
export async function waitUntilReady(runtime: RunningRuntime, signal: AbortSignal, timeoutMs = 120_000): Promise<void> {
  let exit: string | undefined;
  void runtime.exited.then((how) => (exit = how));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    if (exit !== undefined)
      throw new Error(`the runtime for version ${runtime.version} stopped (${exit}) before it was ready:\n${runtime.recentOutput()}`);
    const status = await fetch(`${runtime.url}/v2/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await sleep(100);
  }
  throw new Error(`the runtime for version ${runtime.version} was not ready after ${timeoutMs / 1000} s:\n${runtime.recentOutput()}`);
}

/** Kills every runtime at once (used on an unexpected exit, where nothing can be awaited). */
export function killNow(runtimes: readonly RunningRuntime[]): void {
  for (const runtime of runtimes) {
    try {
      process.kill(runtime.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function stopChild(child: ChildProcess, exited: Promise<string>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port that was free a moment ago (the runtime binds it right after). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
