// `kubeinfer route` as a process: flags -> router + configuration source, JSON logs on
// stdout, and a graceful stop on SIGTERM/SIGINT (not-ready, finish in-flight, exit 0).
import { apiKeyGuard, kubernetesGuard, type AccessGuard } from '../auth/guard.ts';
import { otlpTracesUrl } from '../../contracts/index.ts';
import { startRouter } from './server.ts';
import type { Router } from './server.ts';
import { parseRouterLimits } from './settings.ts';
import { watchConfigFile } from './source-file.ts';
import type { ConfigWatch } from './source-file.ts';

export interface RouteCommandFlags {
  readonly configFile?: string;
  readonly configmap?: string;
  readonly kubeconfig?: string;
  readonly port: string;
  readonly grpcPort: string;
  readonly host: string;
  readonly apiKeysFile?: string;
  readonly authKubernetes?: string;
  readonly authCacheTtlMs?: string;
  readonly protectMetrics?: boolean;
  readonly audit?: boolean;
  readonly otlpEndpoint?: string;
  /** The numeric flags of settings.ts, as commander hands them over. */
  readonly [limit: string]: string | boolean | undefined;
}

const SHUTDOWN_GRACE_MS = 20_000;

/** Writes one structured log line. */
export function logJson(event: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), component: 'router', ...event })}\n`);
}

/** Runs the router until SIGTERM/SIGINT; resolves with the exit code. */
export async function runRouteCommand(flags: RouteCommandFlags): Promise<number> {
  // Listen for signals before announcing anything: a SIGTERM right after "router listening"
  // must stop the router gracefully, not kill it with the default action.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`--port must be an integer from 0 to 65535, got "${flags.port}"`);
  const limits = parseRouterLimits(flags);
  if (typeof limits === 'string') return fail(limits);
  if ((flags.configFile === undefined) === (flags.configmap === undefined))
    return fail('give exactly one of --config-file <path> or --configmap <namespace/name>');
  const guard = await openGuard(flags);
  if (typeof guard === 'string') return fail(guard);
  const audit = flags.audit === true || guard !== undefined ? logJson : undefined;
  const traces = flags.otlpEndpoint === undefined ? undefined : otlpTracesUrl(flags.otlpEndpoint);
  if (traces?.ok === false) return fail(traces.message);
  const grpcPort = Number(flags.grpcPort);
  if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535)
    return fail(`--grpc-port must be an integer from 0 to 65535, got "${flags.grpcPort}"`);
  const router = await startRouter({
    ...limits,
    host: flags.host,
    port,
    ...(grpcPort === 0 ? {} : { grpcPort }),
    processMetrics: true,
    log: logJson,
    guard,
    protectMetrics: flags.protectMetrics,
    audit,
    otlpEndpoint: flags.otlpEndpoint,
  }).catch(
    (error: NodeJS.ErrnoException) => `cannot listen on ${flags.host}:${port} (gRPC ${flags.grpcPort}): ${error.code ?? error.message}`,
  );
  if (typeof router === 'string') return fail(router);
  const source = await openSource(flags, router);
  if (typeof source === 'string') {
    await router.close(0);
    return fail(source);
  }
  logJson({
    level: 'info',
    msg: 'router listening',
    url: router.url,
    grpcPort: router.grpcPort,
    source: flags.configFile ?? `configmap ${flags.configmap}`,
    auth: guard?.mode ?? 'none',
    tracing: traces?.url ?? 'off',
  });
  const signal = await stopSignal;
  logJson({ level: 'info', msg: 'stopping: not ready, then finishing requests in flight', signal, delayMs: limits.shutdownDelayMs });
  await router.close(SHUTDOWN_GRACE_MS, limits.shutdownDelayMs);
  await source.stop();
  return 0;
}

/** The access guard the flags ask for: API keys, Kubernetes reviews, or none. */
async function openGuard(flags: RouteCommandFlags): Promise<AccessGuard | undefined | string> {
  if (flags.apiKeysFile !== undefined && flags.authKubernetes !== undefined)
    return 'give at most one of --api-keys-file and --auth-kubernetes';
  if (flags.apiKeysFile !== undefined) {
    const { loadApiKeys } = await import('../auth/api-keys.ts');
    const keys = await loadApiKeys(flags.apiKeysFile).catch((error: Error) => `cannot read API keys: ${error.message}`);
    return typeof keys === 'string' ? keys : apiKeyGuard(keys);
  }
  if (flags.authKubernetes === undefined) return undefined;
  const [namespace, name, ...rest] = flags.authKubernetes.split('/');
  if (!namespace || !name || rest.length > 0)
    return `--auth-kubernetes must be <namespace>/<inferenceservice>, got "${flags.authKubernetes}"`;
  const ttlMs = Number(flags.authCacheTtlMs);
  if (!Number.isInteger(ttlMs) || ttlMs < 0) return `--auth-cache-ttl-ms must be a non-negative integer, got "${flags.authCacheTtlMs}"`;
  const { loadKubeConfig } = await import('../../kube/kubeconfig.ts');
  const loaded = loadKubeConfig(flags.kubeconfig);
  if (!loaded.ok) return loaded.message;
  const { kubernetesReviews } = await import('../auth/kubernetes.ts');
  return kubernetesGuard(kubernetesReviews(loaded.kubeConfig, namespace, name, ttlMs), name);
}

async function openSource(flags: RouteCommandFlags, router: Router): Promise<ConfigWatch | string> {
  if (flags.configFile !== undefined) return watchConfigFile(flags.configFile, router);
  const [namespace, name, ...rest] = (flags.configmap ?? '').split('/');
  if (namespace === undefined || namespace === '' || name === undefined || name === '' || rest.length > 0) {
    return `--configmap must be <namespace>/<name>, got "${flags.configmap}"`;
  }
  const { loadKubeConfig } = await import('../../kube/kubeconfig.ts');
  const { watchConfigMap } = await import('./source-configmap.ts');
  const loaded = loadKubeConfig(flags.kubeconfig);
  if (!loaded.ok) return loaded.message;
  return watchConfigMap({ kubeConfig: loaded.kubeConfig, namespace, name, log: logJson }, router);
}

function fail(message: string): number {
  process.stderr.write(`kubeinfer route: ${message}\n`);
  return 2;
}
