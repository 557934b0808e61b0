// Starts real `kubeinfer serve` servers on loopback for the runtime tests, in-process or as
// the CLI subprocess, and speaks V2 (JSON and binary) to them over real HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { flagProperty, resolveServeConfig } from '../../runtime/server/config.ts';
import { capture } from '../capture.ts';
import { startServer } from '../../runtime/server/serve.ts';

export const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));

/** A temp dir holding `model.onnx`, removed after the test. */
export function modelFile(t: TestContext, model: Uint8Array): string {
  return tempFile(t, 'model.onnx', model);
}

/** A temp file holding `content` (a step model, a labels file), removed after the test. */
export function tempFile(t: TestContext, name: string, content: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export interface TestServer {
  readonly url: string;
  /** `127.0.0.1:<port>` of the gRPC service, when the test turned it on with a `grpc-port` flag. */
  readonly grpcAddress: string;
  readonly logs: Record<string, unknown>[];
  drain(): Promise<void>;
}

/** Starts an in-process server for `model` (flags as for the CLI) and waits until it has loaded. */
export async function startTestServer(t: TestContext, model: Uint8Array, flags: Record<string, string> = {}): Promise<TestServer> {
  const options = Object.fromEntries(
    Object.entries({ model: modelFile(t, model), name: 'm', port: '0', 'grpc-port': '0', host: '127.0.0.1', ...flags }).map(
      ([flag, value]) => [flagProperty(flag), value],
    ),
  );
  const resolved = resolveServeConfig(options, {});
  if (!resolved.ok) throw new Error(resolved.problems.join('; '));
  const logs: Record<string, unknown>[] = [];
  const server = await startServer(resolved.config, (level, msg, fields) => logs.push({ level, msg, ...fields }));
  t.after(async () => {
    await server.drain();
    capture('kubeinfer serve', logs.map((line) => JSON.stringify(line)).join('\n'));
  });
  await server.loaded;
  return { url: server.url, grpcAddress: `127.0.0.1:${server.grpcPort}`, logs, drain: () => server.drain() };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly json: any;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP request; `json` is the parsed body when it is JSON (or a binary response's JSON header). */
export function send(
  url: string,
  method: string,
  path: string,
  body?: Uint8Array | string,
  headers: Record<string, string | number> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, url),
      { method, agent, headers: body === undefined ? headers : { 'Content-Length': Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          const headerLength = Number(res.headers['inference-header-content-length'] ?? all.length);
          let json: unknown;
          try {
            json = JSON.parse(all.subarray(0, headerLength).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: all, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs a JSON value. */
export function postJson(url: string, path: string, value: unknown): Promise<Reply> {
  return send(url, 'POST', path, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** POSTs a binary-extension request: JSON header then blobs. */
export function postBinary(url: string, path: string, header: unknown, blobs: readonly Uint8Array[]): Promise<Reply> {
  const json = Buffer.from(JSON.stringify(header));
  return send(url, 'POST', path, Buffer.concat([json, ...blobs]), {
    'Inference-Header-Content-Length': json.length,
    'Content-Type': 'application/octet-stream',
  });
}

/** The binary blobs of a response, by output name, following the JSON header. */
export function binaryOutputs(reply: Reply): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let offset = Number(reply.headers['inference-header-content-length']);
  for (const output of reply.json.outputs as { name: string; parameters?: { binary_data_size?: number } }[]) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs.set(output.name, reply.body.subarray(offset, offset + size));
    offset += size;
  }
  return blobs;
}

/** Raw bytes of a typed array. */
export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Float32 elements of a little-endian blob. */
export function float32s(blob: Buffer): number[] {
  return Array.from(new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length)));
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Resolves with the first log line matching. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Runs `kubeinfer serve` as a subprocess with these args and environment; killed after the test. */
export async function spawnServe(t: TestContext, args: readonly string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env: { ...process.env, KUBEINFER_GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text);
    } catch {
      line = { raw: text };
    }
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve(line);
  });
  const waitForLog = (match: (line: Record<string, unknown>) => boolean) => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ match, resolve });
      void exited.then((code) => reject(new Error(`kubeinfer serve exited (${code}) before the expected log line; stderr: ${stderr}`)));
    });
  };
  const listening = await waitForLog((line) => typeof line.port === 'number');
  const port = listening.port as number;
  return { child, port, url: `http://127.0.0.1:${port}`, lines, exited, waitForLog };
}
