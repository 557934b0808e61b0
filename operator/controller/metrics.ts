// The operator's Prometheus metrics, on a registry of its own so that several
// operators in one process (tests) never share counters.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiRequest } from '../../kube/node-client.ts';
import { registerServiceGauges, type ServiceFigures } from './service-metrics.ts';

const WRITE_VERBS: ReadonlySet<string> = new Set(['apply', 'create', 'update', 'patch', 'delete']);

/** Whether an API request changes state on the server. */
export function isWrite(verb: string): boolean {
  return WRITE_VERBS.has(verb);
}

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'result'>;
  readonly reconcileErrors: Counter<'reason'>;
  readonly reconcileDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly apiWrites: Counter<'verb' | 'resource'>;
  readonly leader: Gauge;
  readonly informerRestarts: Counter<'resource'>;
  /** Records one API request (the client's observe hook). */
  observeRequest(request: ApiRequest): void;
  /** Sum of write requests so far, by verb, read straight from the counters. */
  writeCount(): Promise<number>;
}

/** What the scrape-time gauges read: the work queue's length and the InferenceServices in the cache. */
export interface MetricSources {
  readonly queueLength: () => number;
  readonly services: () => readonly ServiceFigures[];
}

/** Creates the metrics; queueDepth and the per-InferenceService gauges read their sources when scraped. */
export function createOperatorMetrics(sources: MetricSources, processMetrics = true): OperatorMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  registerServiceGauges(registry, sources.services);
  const reconcileTotal = new Counter({
    name: 'kubeinfer_operator_reconcile_total',
    help: 'Reconciles by result (success, error, requeue).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'kubeinfer_operator_reconcile_errors_total',
    help: 'Reconciles that failed, by error kind (NotFound, Conflict, Invalid, Forbidden, Transient, Exception).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const reconcileDuration = new Histogram({
    name: 'kubeinfer_operator_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'kubeinfer_operator_queue_depth',
    help: 'Keys waiting in the work queue.',
    registers: [registry],
    collect() {
      this.set(sources.queueLength());
    },
  });
  const apiRequests = new Counter({
    name: 'kubeinfer_operator_api_requests_total',
    help: 'Kubernetes API requests by verb, resource and HTTP status (0: no answer).',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [registry],
  });
  const apiWrites = new Counter({
    name: 'kubeinfer_operator_api_writes_total',
    help: 'Kubernetes API write requests (apply, create, update, patch, delete).',
    labelNames: ['verb', 'resource'] as const,
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'kubeinfer_operator_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [registry],
  });
  const informerRestarts = new Counter({
    name: 'kubeinfer_operator_informer_restarts_total',
    help: 'Informer restarts after a failed list or watch.',
    labelNames: ['resource'] as const,
    registers: [registry],
  });
  return {
    registry,
    reconcileTotal,
    reconcileErrors,
    reconcileDuration,
    queueDepth,
    apiRequests,
    apiWrites,
    leader,
    informerRestarts,
    observeRequest(request) {
      const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
      apiRequests.inc({ verb: request.verb, resource, code: String(request.status) });
      if (isWrite(request.verb)) apiWrites.inc({ verb: request.verb, resource });
    },
    async writeCount() {
      const values = (await apiWrites.get()).values;
      return values.reduce((sum, value) => sum + value.value, 0);
    },
  };
}
