// Prometheus metrics, split like Triton's (success/failure, queue, compute, batch size),
// labelled by model and version. Label children are bound once: the hot path only adds.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONCURRENCY_METRIC } from '../../contracts/index.ts';
import type { ExecutionTiming, Timing } from '../engine/scheduler.ts';
import type { ProblemKind } from './problems.ts';

const SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The wire protocol a request came over: the `protocol` label of request metrics. */
export type Protocol = 'rest' | 'grpc';

export interface ServerMetrics {
  readonly registry: Registry;
  requestSucceeded(durationNs: number, timing: Timing, protocol: Protocol): void;
  requestFailed(kind: ProblemKind, protocol: Protocol): void;
  executed(execution: ExecutionTiming): void;
  inflight(delta: number): void;
  pending(length: number): void;
  modelLoaded(seconds: number, ready: boolean): void;
}

/** Creates the metrics of one served model version in their own registry, plus process metrics. */
export function createMetrics(model: string, version: string): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = { model, version };
  const labelNames = ['model', 'version'] as const;
  const registers = [registry];

  const success = new Counter({
    name: 'kubeinfer_inference_request_success_total',
    help: 'Inference requests answered successfully, by protocol.',
    labelNames: [...labelNames, 'protocol'],
    registers,
  });
  const failure = new Counter({
    name: 'kubeinfer_inference_request_failure_total',
    help: 'Inference requests that failed, by protocol and reason.',
    labelNames: [...labelNames, 'protocol', 'reason'],
    registers,
  });
  // Bound on first use rather than up front, so a protocol or reason appears in /metrics only once it happens.
  const children = new Map<string, Counter.Internal | Histogram.Internal<string>>();
  const bound = <T extends Counter.Internal | Histogram.Internal<string>>(key: string, make: () => T): T => {
    let child = children.get(key);
    if (child === undefined) {
      child = make();
      children.set(key, child);
    }
    return child as T;
  };
  const samples = new Counter({
    name: 'kubeinfer_inference_count_total',
    help: 'Inferences performed (a batch of N counts N).',
    labelNames,
    registers,
  }).labels(labels);
  const executions = new Counter({
    name: 'kubeinfer_inference_exec_count_total',
    help: 'Model executions (one per batch).',
    labelNames,
    registers,
  }).labels(labels);
  const duration = new Histogram({
    name: 'kubeinfer_inference_request_duration_seconds',
    help: 'End-to-end time of successful inference requests, from receipt to response, by protocol.',
    labelNames: [...labelNames, 'protocol'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const queue = new Histogram({
    name: 'kubeinfer_inference_queue_duration_seconds',
    help: 'Time requests waited in the queue for a worker.',
    labelNames,
    buckets: SECONDS_BUCKETS,
    registers,
  }).labels(labels);
  const compute = new Histogram({
    name: 'kubeinfer_inference_compute_duration_seconds',
    help: 'Time per execution: input hand-over, model run, output hand-back.',
    labelNames: [...labelNames, 'phase'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const [computeInput, computeInfer, computeOutput] = (['input', 'infer', 'output'] as const).map((phase) =>
    compute.labels({ ...labels, phase }),
  );
  const batch = new Histogram({
    name: 'kubeinfer_inference_batch_size',
    help: 'Rows per model execution.',
    labelNames,
    buckets: BATCH_BUCKETS,
    registers,
  }).labels(labels);
  const inflight = new Gauge({
    name: CONCURRENCY_METRIC,
    help: 'Inference requests being handled (queued or running).',
    labelNames,
    registers,
  }).labels(labels);
  const pending = new Gauge({
    name: 'kubeinfer_inference_pending_requests',
    help: 'Inference requests waiting in the queue.',
    labelNames,
    registers,
  }).labels(labels);
  const loadTime = new Gauge({
    name: 'kubeinfer_model_load_duration_seconds',
    help: 'Time to load and warm up the model in every worker.',
    labelNames,
    registers,
  }).labels(labels);
  const ready = new Gauge({ name: 'kubeinfer_model_ready', help: '1 when the model is loaded and serving.', labelNames, registers }).labels(
    labels,
  );
  inflight.set(0);
  pending.set(0);
  ready.set(0);

  return {
    registry,
    requestSucceeded(durationNs, timing, protocol) {
      bound(`success/${protocol}`, () => success.labels({ ...labels, protocol })).inc();
      bound(`duration/${protocol}`, () => duration.labels({ ...labels, protocol })).observe(durationNs / 1e9);
      queue.observe(timing.queueNs / 1e9);
    },
    requestFailed(kind, protocol) {
      bound(`failure/${protocol}/${kind}`, () => failure.labels({ ...labels, protocol, reason: kind })).inc();
    },
    executed(execution) {
      executions.inc();
      samples.inc(execution.batchSize);
      batch.observe(execution.batchSize);
      computeInput!.observe(execution.computeInputNs / 1e9);
      computeInfer!.observe(execution.computeInferNs / 1e9);
      computeOutput!.observe(execution.computeOutputNs / 1e9);
    },
    inflight: (delta) => inflight.inc(delta),
    pending: (length) => pending.set(length),
    modelLoaded(seconds, isReady) {
      loadTime.set(seconds);
      ready.set(isReady ? 1 : 0);
    },
  };
}
