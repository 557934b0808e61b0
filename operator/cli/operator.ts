// `kubeinfer operator`: parses flags into OperatorOptions, runs until SIGTERM
// or SIGINT, then stops gracefully (in-flight reconciles finish, the Lease is
// released so a standby takes over at once).
import { readFileSync } from 'node:fs';
import { runOperator } from '../controller/manager.ts';
import type { ImagePullPolicy } from '../builders/options.ts';
import { loadKubeConfig } from './kubeconfig.ts';

export interface OperatorFlags {
  readonly runtimeImage: string;
  readonly imagePullPolicy?: ImagePullPolicy;
  readonly imagePullSecrets?: readonly string[];
  readonly watchNamespaces?: readonly string[];
  readonly metricsPort: string;
  readonly healthPort: string;
  readonly bindAddress: string;
  readonly leaderElect: boolean | string;
  readonly leaderElectionNamespace?: string;
  readonly leaderElectionId: string;
  readonly workers: string;
  readonly resyncSeconds: string;
  readonly clusterDomain: string;
  readonly kubeconfig?: string;
}

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Parses a non-negative integer flag or throws a message naming the flag. */
export function integerFlag(name: string, value: string, minimum = 0): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) throw new Error(`--${name} must be an integer >= ${minimum}, got "${value}"`);
  return parsed;
}

function leaderNamespace(flags: OperatorFlags, fallback: string): string {
  if (flags.leaderElectionNamespace) return flags.leaderElectionNamespace;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** Runs the operator; resolves with the exit code once it has stopped. */
export async function runOperatorCommand(flags: OperatorFlags): Promise<number> {
  let metricsPort: number, healthPort: number, workers: number, resyncSeconds: number;
  try {
    metricsPort = integerFlag('metrics-port', flags.metricsPort);
    healthPort = integerFlag('health-port', flags.healthPort);
    workers = integerFlag('workers', flags.workers, 1);
    resyncSeconds = integerFlag('resync-seconds', flags.resyncSeconds, 1);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const { kubeConfig, namespace } = loadKubeConfig(flags.kubeconfig);
  const leaderElect = flags.leaderElect === true || flags.leaderElect === 'true';
  let lost = false;
  const operator = await runOperator({
    kubeConfig,
    build: { runtimeImage: flags.runtimeImage, imagePullPolicy: flags.imagePullPolicy, imagePullSecrets: flags.imagePullSecrets, clusterDomain: flags.clusterDomain },
    namespaces: flags.watchNamespaces ?? [],
    workers,
    resyncPeriodMs: resyncSeconds * 1000,
    metricsHost: flags.bindAddress,
    metricsPort,
    ...(healthPort !== metricsPort ? { healthPort } : {}),
    ...(leaderElect ? { leaderElection: { namespace: leaderNamespace(flags, namespace), name: flags.leaderElectionId } } : {}),
    ...(process.env.POD_NAME ? { identity: `${process.env.POD_NAME}_${process.pid}` } : {}),
    onLeadershipLost: () => {
      lost = true;
      stop();
    },
  });
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping = false;
  function stop(): void {
    if (stopping) return;
    stopping = true;
    void operator.stop().then(resolveStopped);
  }
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await stopped;
  return lost ? 1 : 0; // exit non-zero on lost leadership, so the pod restarts as a clean candidate
}
