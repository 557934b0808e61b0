// Real servers on loopback for the storage tests and benchmark: a node:http server,
// moto (a real S3 implementation, PyPI `moto[server]`) and fake-gcs-server (built by
// `bash tools/cluster/build-assets.sh fake-gcs-server`). Every start returns a stop.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fetchModel, ModelFetchError, type FetchModelOptions } from '../../runtime/storage/index.ts';
import { assetPath } from '../cluster/assets.ts';
import { freePort } from '../cluster/index.ts';

export interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

/** A node:http server on `host` (default 127.0.0.1; a real node's pods reach its hostIp) with a free port. */
export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<Running> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `size` bytes that are a valid ONNX ModelProto head (ir_version, then random bytes as doc_string):
 * fetch-model publishes only what starts like a model, and tests want incompressible payloads.
 */
export function modelBytes(size: number): Buffer {
  const header = Buffer.from([0x08, 0x08, 0x32]);
  let length = size - header.length - 1;
  while (header.length + varintLength(length) + length > size) length -= 1;
  const prefix = Buffer.concat([header, varint(length)]);
  return Buffer.concat([prefix, randomBytes(size - prefix.length)]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) return Buffer.from([...bytes, rest]);
    bytes.push((rest % 128) | 0x80);
  }
}

function varintLength(value: number): number {
  return varint(value).length;
}

/** A scratch directory that tests remove when done. */
export interface TempDir {
  readonly dir: string;
  /** A new path under `dir` on every call, not yet created: `name-1`, `name-2`, ... */
  nextPath(name: string): string;
  remove(): Promise<void>;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'kubeinfer-storage-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let paths = 0;
  const nextPath = (name: string) => {
    paths += 1;
    return path.join(dir, `${name}-${paths}`);
  };
  return { dir, nextPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under a directory (relative paths), or [] when it does not exist. */
export async function listTree(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)) + (entry.isDirectory() ? '/' : '')).sort();
  } catch {
    return [];
  }
}

/** Runs a fetch that must fail and returns its error; by default also asserts that nothing remains in the destination. */
export async function expectFetchFailure(opts: FetchModelOptions, { leavesNothing = true } = {}): Promise<ModelFetchError> {
  const error = await fetchModel(opts).then(
    () => assert.fail(`${opts.uri} should have failed`),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ModelFetchError, `expected a ModelFetchError, got ${String(error)}`);
  if (leavesNothing) assert.deepEqual(await listTree(opts.destDir), [], `${opts.destDir} must be empty after a failed fetch`);
  return error;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000}s:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** moto in server mode: a real S3 (and IAM) API on `host` (default loopback; a real node's pods reach its hostIp). */
export async function startMoto(env: NodeJS.ProcessEnv = {}, host = '127.0.0.1'): Promise<Running> {
  const binary = process.env.KUBEINFER_MOTO_SERVER ?? 'moto_server';
  const child = spawn(binary, ['-H', host, '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  try {
    const match = await waitForLine(child, new RegExp(`Running on (http://${host.replaceAll('.', '\\.')}:\\d+)`), 'moto_server');
    child.stdout?.resume();
    child.stderr?.resume();
    const [, url] = match;
    if (url === undefined) throw new Error(`moto_server printed no URL: ${match[0]}`);
    return { url, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`moto_server is not installed: run pip install 'moto[server]' (or set KUBEINFER_MOTO_SERVER)`);
    }
    throw error;
  }
}

/** The fake-gcs-server binary, found like every control-plane asset (TEST_ASSET_FAKE_GCS_SERVER, the cache, or a build). */
export function fakeGcsServerBinary(): Promise<string> {
  return assetPath('fake-gcs-server');
}

/** fake-gcs-server over plain HTTP, preloaded from `dataDir/<bucket>/<object>`. */
export async function startFakeGcs(dataDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(
    await fakeGcsServerBinary(),
    ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-data', dataDir, '-log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`fake-gcs-server exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/storage/v1/b`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, stop: () => stopChild(child) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stopChild(child);
  throw new Error('fake-gcs-server did not answer within 60s');
}
