// Runs the operator: API client, metrics and probe server, informers, optional
// leader election, and the controller's workers while leading.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { BuildOptions } from '../builders/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { createNodeKubeClient } from '../../kube/node-client.ts';
import { Controller } from './controller.ts';
import { startProbeServer, type ProbeServer } from './http.ts';
import { LeaderElector } from './leader.ts';
import { createOperatorMetrics, type OperatorMetrics } from './metrics.ts';
import type { ServiceFigures } from './service-metrics.ts';
import type { BackoffOptions } from './queue.ts';
import type { RouterFiguresSource } from './router-figures.ts';

export const FIELD_MANAGER = 'kubeinfer-operator';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  readonly build: BuildOptions;
  readonly namespaces?: readonly string[];
  readonly workers?: number;
  readonly resyncPeriodMs?: number;
  readonly metricsHost?: string;
  /** /metrics (plus the probes); 0 picks a free port. */
  readonly metricsPort?: number;
  /** A second port for /healthz and /readyz only, so probes never share a listener with scrapes. */
  readonly healthPort?: number;
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name?: string;
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
  };
  /** Called when leadership is lost (not on stop()); the CLI exits so the pod restarts clean. */
  readonly onLeadershipLost?: () => void;
  readonly identity?: string;
  readonly backoff?: BackoffOptions;
  readonly secretRecheckMs?: number;
  readonly log?: (event: Record<string, unknown>) => void;
  /** Include process_* metrics (CPU, RSS); tests running several operators in one process turn it off. */
  readonly processMetrics?: boolean;
  /** Where rollouts read the routers' figures; default: each router pod at its IP. */
  readonly figures?: (client: KubeClient) => RouterFiguresSource;
  /** ClusterRoleBinding (and ClusterRole) to keep listing the routers that review tokens (`--router-reviewers-binding`). */
  readonly routerReviewersBinding?: string | undefined;
}

export interface RunningOperator {
  readonly identity: string;
  readonly client: KubeClient;
  readonly controller: Controller;
  readonly metrics: OperatorMetrics;
  readonly probes: ProbeServer;
  readonly health?: ProbeServer | undefined;
  isLeader(): boolean;
  /** Graceful stop: finish in-flight reconciles, release the Lease, close the server. */
  stop(): Promise<void>;
}

/** Starts an operator and resolves once its probe server listens (caches may still be syncing). */
export async function runOperator(options: OperatorOptions): Promise<RunningOperator> {
  const log = options.log ?? ((event) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`));
  const identity = options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  // The controller that the scrape-time gauges read is created after the metrics it is handed.
  const sources = { queueLength: () => 0, services: (): readonly ServiceFigures[] => [] };
  const metrics = createOperatorMetrics(
    { queueLength: () => sources.queueLength(), services: () => sources.services() },
    options.processMetrics ?? true,
  );
  const client = instrumentedClient(options.kubeConfig, metrics, log);
  const controller = new Controller({
    client,
    build: options.build,
    namespaces: options.namespaces ?? [],
    workers: options.workers ?? 4,
    resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000,
    metrics,
    identity,
    log,
    backoff: options.backoff,
    secretRecheckMs: options.secretRecheckMs,
    ...(options.figures ? { figures: options.figures(client) } : {}),
    routerReviewersBinding: options.routerReviewersBinding,
  });
  sources.queueLength = () => controller.queue.length;
  sources.services = () => controller.serviceFigures();
  const host = options.metricsHost ?? '0.0.0.0';
  const probes = await startProbeServer(host, options.metricsPort ?? 8080, metrics.registry, () => controller.synced);
  const health =
    options.healthPort === undefined ? undefined : await startProbeServer(host, options.healthPort, undefined, () => controller.synced);
  log({
    msg: 'operator starting',
    identity,
    metricsPort: probes.port,
    healthPort: health?.port,
    namespaces: options.namespaces?.length ? options.namespaces : 'all',
  });
  let stopping = false;
  const elector = options.leaderElection
    ? electorFor(options, { client, identity, controller, metrics, log, stopping: () => stopping })
    : undefined;
  const started = controller.startInformers().then(() => {
    if (stopping) return;
    if (elector) elector.start();
    else controller.startWorkers();
  });
  return {
    identity,
    client,
    controller,
    metrics,
    probes,
    health,
    isLeader: () => (elector ? elector.isLeader : true),
    async stop() {
      stopping = true;
      await controller.stop(); // workers finish their reconcile first, then the Lease is released
      await started;
      await elector?.stop();
      await probes.close();
      await health?.close();
      log({ msg: 'operator stopped', identity });
    },
  };
}

/** The client-node KubeClient with every request counted in the metrics. */
function instrumentedClient(kubeConfig: KubeConfig, metrics: OperatorMetrics, log: (event: Record<string, unknown>) => void): KubeClient {
  // A kind the cluster does not serve (KEDA's, before KEDA is installed) fails every retry: say so once.
  const notServed = new Set<string>();
  return createNodeKubeClient({
    kubeConfig,
    fieldManager: FIELD_MANAGER,
    observe: (request) => metrics.observeRequest(request),
    onInformerError: (resource, error) => {
      metrics.informerRestarts.inc({ resource: resource.plural });
      if (error.kind !== 'NotFound') notServed.delete(resource.plural);
      else if (notServed.has(resource.plural)) return;
      else notServed.add(resource.plural);
      const msg = error.kind === 'NotFound' ? 'kind not served; retrying quietly until it is' : 'watch failed; restarting informer';
      log({ msg, resource: resource.plural, apiVersion: resource.apiVersion, error: error.message });
    },
  });
}

interface ElectorDeps {
  readonly client: KubeClient;
  readonly identity: string;
  readonly controller: Controller;
  readonly metrics: OperatorMetrics;
  readonly log: (event: Record<string, unknown>) => void;
  readonly stopping: () => boolean;
}

/** Leader election that runs the workers only while leading. */
function electorFor(options: OperatorOptions, deps: ElectorDeps): LeaderElector {
  const election = options.leaderElection!;
  return new LeaderElector({
    client: deps.client,
    namespace: election.namespace,
    name: election.name ?? FIELD_MANAGER,
    identity: deps.identity,
    leaseDurationMs: election.leaseDurationMs,
    renewDeadlineMs: election.renewDeadlineMs,
    retryPeriodMs: election.retryPeriodMs,
    log: deps.log,
    onStartedLeading: () => {
      deps.metrics.leader.set(1);
      deps.controller.startWorkers();
    },
    onStoppedLeading: () => {
      deps.metrics.leader.set(0);
      if (deps.stopping()) return;
      deps.log({ msg: 'leadership lost; stopping the controller', identity: deps.identity });
      void deps.controller.stop().then(() => options.onLeadershipLost?.());
    },
  });
}
