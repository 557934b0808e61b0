// The controller: informers feed keys into the work queue, workers run
// reconcile, one key at a time each. Event handlers only enqueue; everything
// else happens in reconcile, which reads the caches.
import { ROLLOUT_ACTION_ANNOTATION, ROLLOUT_PAUSED_ANNOTATION } from '../../api/index.ts';
import type { BuildOptions } from '../builders/index.ts';
import { MANAGED_SELECTOR, STORAGE_CREDENTIALS_SELECTOR } from '../builders/labels.ts';
import type { Informer, InformerEvent, KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import {
  ConfigMapKind,
  DeploymentKind,
  HorizontalPodAutoscalerKind,
  InferenceServiceKind,
  NetworkPolicyKind,
  NodeKind,
  PodDisruptionBudgetKind,
  PodKind,
  ReplicaSetKind,
  RoleBindingKind,
  RoleKind,
  ScaledObjectKind,
  SecretKind,
  ServiceAccountKind,
  ServiceKind,
  type ResourceKind,
} from '../../kube/resources.ts';
import { objectKey, type KubeObject } from '../../kube/types.ts';
import { ChildCache, ownerKeyOf } from './cache.ts';
import { createEventRecorder } from './events.ts';
import { PlanCache, specStamp } from './plans.ts';
import { FigureWindows } from '../../rollout/windows.ts';
import { podFiguresSource, type RouterFiguresSource } from './router-figures.ts';
import { scopedInformer } from './informers.ts';
import type { OperatorMetrics } from './metrics.ts';
import { WorkQueue, type BackoffOptions } from './queue.ts';
import { ReviewersBinding } from './reviewers.ts';
import { serviceFigures, type ServiceFigures } from './service-metrics.ts';
import { reconcile, SECRET_RECHECK_MS, type ReconcileContext, type ReconcileOutcome } from './reconcile.ts';
import { WorkloadCache } from './workloads.ts';

/** Every kind the operator creates; each gets an informer filtered by the managed-by label. */
export const OWNED_KINDS: readonly ResourceKind[] = [
  DeploymentKind,
  ServiceKind,
  HorizontalPodAutoscalerKind,
  PodDisruptionBudgetKind,
  ConfigMapKind,
  ServiceAccountKind,
  RoleKind,
  RoleBindingKind,
  NetworkPolicyKind,
  ScaledObjectKind,
];

/**
 * Owned kinds whose API may not exist (KEDA's CRD). The operator is ready without them; their
 * informers keep retrying the list, so installing the CRD later is noticed without a restart.
 */
const OPTIONAL_KINDS: ReadonlySet<ResourceKind> = new Set([ScaledObjectKind]);

export interface ControllerOptions {
  readonly client: KubeClient;
  readonly build: BuildOptions;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  readonly workers: number;
  readonly resyncPeriodMs: number;
  readonly metrics: OperatorMetrics;
  readonly identity: string;
  readonly log: (event: Record<string, unknown>) => void;
  readonly backoff?: BackoffOptions | undefined;
  readonly secretRecheckMs?: number | undefined;
  /** Where rollouts read the routers' figures; default: each router pod at its IP. */
  readonly figures?: RouterFiguresSource;
  /** The ClusterRoleBinding (and ClusterRole) granting routers token reviews; unset: none is kept. */
  readonly routerReviewersBinding?: string | undefined;
}

/** Informers, queue and workers for InferenceServices. */
export class Controller {
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;
  readonly #inferenceServices: Informer;
  readonly #owned: readonly Informer[];
  /** ReplicaSets and pods of owned Deployments: read for status, never written. */
  readonly #running: readonly Informer[];
  readonly #nodes: Informer;
  /** Only Secrets that opted in as storage credentials (label-selected). */
  readonly #secrets: Informer;
  readonly #children: ChildCache;
  readonly #workloads: WorkloadCache;
  readonly #plans: PlanCache;
  readonly #generations = new Map<string, string>();
  readonly #nodeShapes = new Map<string, string>();
  #nodesUsable = false;
  #workers: Promise<void>[] = [];
  #stopped = false;
  #resync: NodeJS.Timeout | undefined;
  #reviewers: ReviewersBinding | undefined;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.queue = new WorkQueue(options.backoff);
    this.#inferenceServices = scopedInformer(options.client, InferenceServiceKind, options.namespaces);
    this.#owned = OWNED_KINDS.map((kind) => scopedInformer(options.client, kind, options.namespaces, MANAGED_SELECTOR));
    const replicaSets = scopedInformer(options.client, ReplicaSetKind, options.namespaces, MANAGED_SELECTOR);
    const pods = scopedInformer(options.client, PodKind, options.namespaces, MANAGED_SELECTOR);
    this.#running = [replicaSets, pods];
    this.#nodes = options.client.informer(NodeKind);
    this.#secrets = scopedInformer(options.client, SecretKind, options.namespaces, STORAGE_CREDENTIALS_SELECTOR);
    this.#children = new ChildCache(this.#owned);
    this.#workloads = new WorkloadCache(replicaSets, pods);
    this.#plans = new PlanCache(options.build);
    this.#inferenceServices.onEvent((event, object) => this.#onInferenceService(event, object));
    for (const informer of this.#owned) informer.onEvent((event, object) => this.#onChild(informer.resource, event, object));
    for (const informer of this.#running) informer.onEvent((_event, object) => this.#onRunning(object));
    this.#nodes.onEvent((event, object) => this.#onNode(event, object));
    this.#secrets.onEvent((_event, object) => this.#onSecret(object));
  }

  /** True once every informer has listed (the readiness probe). */
  get synced(): boolean {
    return (
      this.#inferenceServices.synced &&
      this.#secrets.synced &&
      [...this.#owned, ...this.#running].every((informer) => informer.synced || OPTIONAL_KINDS.has(informer.resource))
    );
  }

  /** Starts the informers and waits until their caches are filled; they keep retrying on failure. */
  async startInformers(): Promise<void> {
    const results = await Promise.all(
      [this.#inferenceServices, this.#secrets, ...this.#owned, ...this.#running].map((informer) => informer.start()),
    );
    for (const result of results)
      if (!result.ok) this.#options.log({ msg: 'initial list failed; retrying in the background', error: describeError(result.error) });
    const nodes = await this.#nodes.start();
    this.#nodesUsable = nodes.ok;
    if (!nodes.ok) {
      this.#nodes.stop(); // without node access the GPU check is skipped, nothing else depends on it
      this.#options.log({ msg: 'cannot list nodes; GPU availability is not checked', error: describeError(nodes.error) });
    }
    while (!this.synced && !this.#stopped) await new Promise((resolve) => setTimeout(resolve, 200));
  }

  /** Starts the workers and the periodic resync (call once leading). */
  startWorkers(): void {
    if (this.#stopped) return;
    const context: ReconcileContext = {
      client: this.#options.client,
      inferenceServices: this.#inferenceServices,
      secrets: this.#secrets,
      children: this.#children,
      workloads: this.#workloads,
      kedaServed: () => this.#owned.some((informer) => informer.resource === ScaledObjectKind && informer.synced),
      nodes: () => (this.#nodesUsable ? this.#nodes.list() : undefined),
      build: this.#options.build,
      plans: this.#plans,
      events: createEventRecorder(this.#options.client, this.#options.identity, this.#options.log),
      log: this.#options.log,
      secretRecheckMs: this.#options.secretRecheckMs ?? SECRET_RECHECK_MS,
      figures: this.#options.figures ?? podFiguresSource(this.#options.client),
      windows: new FigureWindows(),
    };
    const binding = this.#options.routerReviewersBinding;
    if (binding) this.#reviewers = new ReviewersBinding(binding, this.#options.client, this.#inferenceServices, this.#options.log);
    for (let i = 0; i < this.#options.workers; i += 1) this.#workers.push(this.#work(context));
    this.#resync = setInterval(() => this.enqueueAll(), this.#options.resyncPeriodMs);
    this.#resync.unref();
    this.enqueueAll();
  }

  /** Every cached InferenceService with its versions' replica counts, for the scrape-time gauges. */
  serviceFigures(): ServiceFigures[] {
    const live = (namespace: string, name: string) => this.#children.get(DeploymentKind, { namespace, name });
    return this.#inferenceServices.list().map((isvc) => {
      const { desired } = this.#plans.planFor(isvc);
      const planned = (name: string) => desired.find((o) => o.kind === DeploymentKind.kind && o.metadata.name === name);
      return serviceFigures(isvc, { live, planned });
    });
  }

  /** Queues every known InferenceService. */
  enqueueAll(): void {
    for (const isvc of this.#inferenceServices.list()) this.queue.add(objectKey(isvc.metadata));
    this.#reviewers?.request(true);
  }

  /** Stops workers (after their current reconcile) and informers. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#resync) clearInterval(this.#resync);
    this.#reviewers?.stop();
    this.queue.shutDown();
    await Promise.all(this.#workers);
    for (const informer of [this.#inferenceServices, this.#secrets, ...this.#owned, ...this.#running, this.#nodes]) informer.stop();
  }

  async #work(context: ReconcileContext): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      const started = process.hrtime.bigint();
      let outcome: ReconcileOutcome;
      try {
        outcome = await reconcile(context, key);
      } catch (err) {
        // a bug must cost one retry, never the process
        outcome = { kind: 'retry', reason: 'Exception', error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      }
      this.#options.metrics.reconcileDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.#settle(key, outcome);
      this.queue.done(key);
    }
  }

  #settle(key: string, outcome: ReconcileOutcome): void {
    const { metrics, log } = this.#options;
    if (outcome.kind === 'retry') {
      metrics.reconcileTotal.inc({ result: 'error' });
      metrics.reconcileErrors.inc({ reason: outcome.reason });
      const delay = this.queue.addRateLimited(key);
      log({ msg: 'reconcile failed', key, retryInMs: delay, error: outcome.error });
      return;
    }
    this.queue.forget(key);
    metrics.reconcileTotal.inc({ result: outcome.kind === 'requeue' ? 'requeue' : 'success' });
    if (outcome.kind === 'requeue') this.queue.addAfter(key, outcome.afterMs);
  }

  // Our own status writes come back as updates with an unchanged generation (and annotations): skip them.
  #onInferenceService(event: InformerEvent, object: KubeObject): void {
    const key = objectKey(object.metadata);
    this.#reviewers?.request(); // cheap when the set of reviewing routers is unchanged
    if (event === 'delete') {
      this.#generations.delete(key);
      this.#plans.forget(key);
      this.queue.forget(key);
      return;
    }
    // Rollout commands are annotations: they change no generation but must wake the key.
    const annotations = object.metadata.annotations ?? {};
    const seen = `${specStamp(object)}/${annotations[ROLLOUT_PAUSED_ANNOTATION] ?? ''}/${annotations[ROLLOUT_ACTION_ANNOTATION] ?? ''}`;
    if (event === 'update' && this.#generations.get(key) === seen) return;
    this.#generations.set(key, seen);
    this.queue.add(key);
  }

  #onChild(resource: ResourceKind, event: InformerEvent, object: KubeObject): void {
    const owner = this.#children.observe(resource, event, object);
    if (owner) this.queue.add(owner);
  }

  // Pods and ReplicaSets carry the InferenceService label (the pod template's); any change may change its status.
  #onRunning(object: KubeObject): void {
    const owner = ownerKeyOf(object);
    if (owner) this.queue.add(owner);
  }

  /** A storage-credentials Secret changed (or gained or lost the label): look again at whoever names it. */
  #onSecret(secret: KubeObject): void {
    for (const isvc of this.#inferenceServices.list(secret.metadata.namespace)) {
      if ((isvc.spec as { storage?: { secretRef?: { name?: string } } } | undefined)?.storage?.secretRef?.name === secret.metadata.name)
        this.queue.add(objectKey(isvc.metadata));
    }
  }

  // Node heartbeats change nothing the GPU check reads; only labels, capacity and cordons matter.
  #onNode(event: InformerEvent, object: KubeObject): void {
    const node = object as KubeObject & { spec?: { unschedulable?: boolean }; status?: { allocatable?: object } };
    const shape = JSON.stringify([node.metadata.labels, node.status?.allocatable, node.spec?.unschedulable]);
    const name = node.metadata.name;
    if (event !== 'delete' && this.#nodeShapes.get(name) === shape) return;
    if (event === 'delete') this.#nodeShapes.delete(name);
    else this.#nodeShapes.set(name, shape);
    for (const isvc of this.#inferenceServices.list()) {
      if ((isvc.spec as { gpu?: unknown } | undefined)?.gpu) this.queue.add(objectKey(isvc.metadata));
    }
  }
}
