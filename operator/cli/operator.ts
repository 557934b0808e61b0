// `kubeinfer operator`: parses flags into OperatorOptions, runs until SIGTERM
// or SIGINT, then stops gracefully (in-flight reconciles finish, the Lease is
// released so a standby takes over at once).
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { runOperator, type OperatorOptions } from '../controller/manager.ts';
import type { ImagePullPolicy } from '../builders/options.ts';
import { integerFlags } from '../../cli/flags.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { otlpTracesUrl } from '../../contracts/index.ts';

export interface OperatorFlags {
  readonly runtimeImage: string;
  readonly imagePullPolicy?: ImagePullPolicy;
  readonly imagePullSecrets?: readonly string[];
  readonly watchNamespaces?: readonly string[];
  readonly routerReviewersBinding?: string;
  readonly metricsPort: string;
  readonly healthPort: string;
  readonly bindAddress: string;
  readonly leaderElect: boolean | string;
  readonly leaderElectionNamespace?: string;
  readonly leaderElectionId: string;
  readonly leaderElectionLeaseSeconds: string;
  readonly workers: string;
  readonly resyncSeconds: string;
  readonly clusterDomain: string;
  readonly otlpEndpoint?: string;
  readonly kedaPrometheusUrl?: string;
  readonly kubeconfig?: string;
}

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function leaderNamespace(flags: OperatorFlags, fallback: string): string {
  if (flags.leaderElectionNamespace) return flags.leaderElectionNamespace;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** Turns the flags into OperatorOptions, or a message naming the bad flag. */
export function operatorOptions(flags: OperatorFlags, kubeConfig: KubeConfig, contextNamespace: string): OperatorOptions | string {
  const parsed = integerFlags({
    'metrics-port': [flags.metricsPort, { min: 0 }],
    'health-port': [flags.healthPort, { min: 0 }],
    workers: [flags.workers, { min: 1 }],
    'resync-seconds': [flags.resyncSeconds, { min: 1 }],
    // Longer than the 10 s renew deadline, which must run out first.
    'leader-election-lease-seconds': [flags.leaderElectionLeaseSeconds, { min: 11 }],
  });
  if (!parsed.ok) return parsed.problem;
  const otlpEndpoint = flags.otlpEndpoint || undefined;
  const traces = otlpEndpoint === undefined ? undefined : otlpTracesUrl(otlpEndpoint);
  if (traces?.ok === false) return traces.message;
  const {
    'metrics-port': metricsPort,
    'health-port': healthPort,
    workers,
    'resync-seconds': resyncSeconds,
    'leader-election-lease-seconds': leaseSeconds,
  } = parsed.values;
  const leaderElect = flags.leaderElect === true || flags.leaderElect === 'true';
  return {
    kubeConfig,
    build: {
      runtimeImage: flags.runtimeImage,
      imagePullPolicy: flags.imagePullPolicy,
      imagePullSecrets: flags.imagePullSecrets,
      clusterDomain: flags.clusterDomain,
      otlpEndpoint,
      kedaPrometheusUrl: flags.kedaPrometheusUrl,
    },
    namespaces: flags.watchNamespaces ?? [],
    routerReviewersBinding: flags.routerReviewersBinding,
    workers,
    resyncPeriodMs: resyncSeconds * 1000,
    metricsHost: flags.bindAddress,
    metricsPort,
    ...(healthPort !== metricsPort ? { healthPort } : {}),
    ...(leaderElect
      ? {
          leaderElection: {
            namespace: leaderNamespace(flags, contextNamespace),
            name: flags.leaderElectionId,
            leaseDurationMs: leaseSeconds * 1000,
          },
        }
      : {}),
    ...(process.env.POD_NAME ? { identity: `${process.env.POD_NAME}_${process.pid}` } : {}),
  };
}

/** Runs the operator; resolves with the exit code once it has stopped. */
export async function runOperatorCommand(flags: OperatorFlags): Promise<number> {
  const loaded = loadKubeConfig(flags.kubeconfig);
  const options = loaded.ok ? operatorOptions(flags, loaded.kubeConfig, loaded.namespace) : loaded.message;
  if (typeof options === 'string') {
    process.stderr.write(`error: ${options}\n`);
    return 2;
  }
  let lost = false;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  const operator = await runOperator({
    ...options,
    onLeadershipLost: () => {
      lost = true;
      requestStop();
    },
  });
  process.once('SIGTERM', requestStop);
  process.once('SIGINT', requestStop);
  await stopRequested;
  await operator.stop();
  return lost ? 1 : 0; // exit non-zero on lost leadership, so the pod restarts as a clean candidate
}
