// `kubeinfer run`: an InferenceService on this machine. Models fetched as in the cluster,
// one `kubeinfer serve` per version, the router in front reading its configuration from a
// watched file, and the manifest itself watched so that edited weights apply live.
// Everything started is stopped on Ctrl-C, on SIGTERM and on failure; the work directory
// is removed.
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatRouterConfig, ROUTER_CONFIG_KEY, serveEnvRecord } from '../../contracts/index.ts';
import { startRouter, watchConfigFile } from '../router/index.ts';
import type { ConfigWatch, Router, RouterOptions } from '../router/index.ts';
import { loadApiKeys } from '../auth/api-keys.ts';
import { apiKeyGuard } from '../auth/guard.ts';
import { killNow, startRuntime, waitUntilReady } from './runtimes.ts';
import type { RunningRuntime } from './runtimes.ts';
import { fetchVersionModels } from './models.ts';
import type { LocalPlan } from './plan.ts';
import { routerConfigFor } from './plan.ts';
import { printReady, watchManifest } from './live.ts';
import { startLocalRollout, type LocalRollout } from './rollout.ts';

export interface LocalRunOptions {
  readonly file: string;
  readonly plan: LocalPlan;
  /** Which InferenceService of the file, when it holds several. */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  /** The router's gRPC port (0 picks a free one). */
  readonly grpcPort: number;
  readonly verbose: boolean;
  readonly out: (line: string) => void;
  /** Keys the router requires (one per line); also turns on audit lines. */
  readonly apiKeysFile?: string;
  /** OTLP/HTTP collector the router and every runtime send spans to. */
  readonly otlpEndpoint?: string;
}

/** The running pieces, so that one function can stop whatever got started. */
interface Started {
  workDir?: string;
  runtimes: RunningRuntime[];
  router?: Router;
  watches: ConfigWatch[];
  rollout?: LocalRollout;
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runLocal(options: LocalRunOptions): Promise<number> {
  const started: Started = { runtimes: [], watches: [] };
  const abort = new AbortController();
  const stopSignal = waitForSignal(() => abort.abort());
  const emergency = () => emergencyCleanup(started);
  process.once('exit', emergency);
  try {
    const starting = startAll(options, started, abort.signal);
    const first = await Promise.race([starting.then(() => 'started' as const), stopSignal]);
    // A signal during start-up aborts it; wait for it to unwind before stopping what it started.
    if (first === 'started') await stopSignal;
    else await starting.catch(() => undefined);
    options.out('\nstopping: router, then runtimes...');
    return 0;
  } catch (error) {
    process.stderr.write(`kubeinfer run: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await stopAll(started);
    process.off('exit', emergency);
  }
}

async function startAll(options: LocalRunOptions, started: Started, signal: AbortSignal): Promise<void> {
  const { plan, out } = options;
  started.workDir = await mkdtemp(join(tmpdir(), 'kubeinfer-run-'));
  out(`preparing ${plan.versions.length} model${plan.versions.length === 1 ? '' : 's'} for InferenceService ${plan.model}...`);
  const models = await fetchVersionModels(plan.versions, dirname(resolve(options.file)), started.workDir, signal);
  const echo = options.verbose ? options.out : undefined;
  for (const version of plan.versions) {
    signal.throwIfAborted();
    const { modelPath, env } = models.find((m) => m.version === version.name)!;
    started.runtimes.push(
      await startRuntime({
        model: plan.model,
        version: version.name,
        modelPath,
        env: {
          ...version.env,
          ...env,
          ...(options.otlpEndpoint === undefined ? {} : serveEnvRecord({ otlpEndpoint: options.otlpEndpoint })),
        },
        ...(echo ? { echo } : {}),
      }),
    );
  }
  out(`starting ${plan.versions.length} runtime${plan.versions.length === 1 ? '' : 's'} (kubeinfer serve)...`);
  await Promise.all(started.runtimes.map((runtime) => waitUntilReady(runtime, signal)));
  for (const runtime of started.runtimes) void runtime.exited.then((how) => reportExit(runtime, how, started, out));
  const urls = new Map(started.runtimes.map((r) => [r.version, r]));
  const configPath = join(started.workDir, ROUTER_CONFIG_KEY);
  await writeAtomically(configPath, formatRouterConfig(routerConfigFor(plan, urls)));
  const access = await accessOptions(options.apiKeysFile, out);
  started.router = await startRouter({
    host: options.host,
    port: options.port,
    grpcPort: options.grpcPort,
    otlpEndpoint: options.otlpEndpoint,
    ...access,
    ...(options.verbose ? { log: (e) => out(`[router] ${JSON.stringify(e)}`) } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      error.code === 'EADDRINUSE'
        ? `port ${options.port} or ${options.grpcPort} is in use; choose others with --port and --grpc-port`
        : error.message,
    );
  });
  started.watches.push(await watchConfigFile(configPath, started.router));
  await printReady(out, options.file, plan, started.router, started.runtimes);
  if (options.apiKeysFile !== undefined)
    out(`Requests need a key from ${options.apiKeysFile}: add -H 'authorization: Bearer <key>' (or x-api-key: <key>).`);
  const write = (next: LocalPlan) => writeAtomically(configPath, formatRouterConfig(routerConfigFor(next, urls)));
  started.rollout = startLocalRollout({ plan, routerUrl: started.router.url, write, out });
  const rollout = started.rollout;
  started.watches.push(await watchManifest(options.file, plan, (next) => rollout.apply(next), out, options.name));
}

/** The router's guard and audit for `--api-keys-file`; nothing without it. */
async function accessOptions(
  apiKeysFile: string | undefined,
  out: (line: string) => void,
): Promise<Pick<RouterOptions, 'guard' | 'audit'>> {
  if (apiKeysFile === undefined) return {};
  const keys = await loadApiKeys(apiKeysFile).catch((error: Error) => {
    throw new Error(`cannot read --api-keys-file: ${error.message}`);
  });
  return { guard: apiKeyGuard(keys), audit: (line) => out(`[audit] ${JSON.stringify({ time: new Date().toISOString(), ...line })}`) };
}

function reportExit(runtime: RunningRuntime, how: string, started: Started, out: (line: string) => void): void {
  if (started.router === undefined || !started.runtimes.includes(runtime)) return;
  out(
    `\nthe runtime of version ${runtime.version} stopped (${how}); requests routed to it now get 503. Its last output:\n${runtime.recentOutput()}`,
  );
}

async function stopAll(started: Started): Promise<void> {
  const runtimes = started.runtimes;
  started.runtimes = [];
  for (const watch of started.watches) await watch.stop();
  await started.rollout?.stop();
  await started.router?.close(2_000);
  await Promise.all(runtimes.map((runtime) => runtime.stop()));
  if (started.workDir !== undefined) await rm(started.workDir, { recursive: true, force: true });
}

/** Last resort on an unexpected exit: nothing can be awaited, so kill and delete synchronously. */
function emergencyCleanup(started: Started): void {
  killNow(started.runtimes);
  if (started.workDir !== undefined) rmSync(started.workDir, { recursive: true, force: true });
}

/** Resolves on the first SIGINT/SIGTERM; a second one while stopping kills at once. */
function waitForSignal(onFirst: () => void): Promise<'signal'> {
  return new Promise((resolve) => {
    const handler = () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      process.once('SIGINT', () => process.exit(130));
      onFirst();
      resolve('signal');
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}
