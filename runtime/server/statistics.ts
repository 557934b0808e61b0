// Triton's statistics extension (GET /v2/models/{m}/stats): cumulative counts and
// nanoseconds per phase, and per batch size, in Triton's JSON schema so perf_analyzer
// can attribute server-side time.
import type { ExecutionTiming, Timing } from '../engine/scheduler.ts';

interface Duration {
  count: number;
  ns: number;
}

const duration = (): Duration => ({ count: 0, ns: 0 });

function add(stat: Duration, ns: number): void {
  stat.count++;
  stat.ns += Math.max(0, Math.round(ns));
}

export class ModelStatistics {
  #lastInferenceMs = 0;
  #inferenceCount = 0;
  #executionCount = 0;
  readonly #inference = {
    success: duration(),
    fail: duration(),
    queue: duration(),
    compute_input: duration(),
    compute_infer: duration(),
    compute_output: duration(),
    cache_hit: duration(),
    cache_miss: duration(),
  };
  readonly #batches = new Map<number, { compute_input: Duration; compute_infer: Duration; compute_output: Duration }>();

  /** Records a successful request with its end-to-end duration and its share of an execution. */
  requestSucceeded(durationNs: number, timing: Timing): void {
    this.#lastInferenceMs = Date.now();
    add(this.#inference.success, durationNs);
    add(this.#inference.queue, timing.queueNs);
    add(this.#inference.compute_input, timing.computeInputNs);
    add(this.#inference.compute_infer, timing.computeInferNs);
    add(this.#inference.compute_output, timing.computeOutputNs);
  }

  /** Records a failed request. */
  requestFailed(durationNs: number): void {
    add(this.#inference.fail, durationNs);
  }

  /** Records one model execution of `batchSize` rows. */
  executed(execution: ExecutionTiming): void {
    this.#executionCount++;
    this.#inferenceCount += execution.batchSize;
    let stats = this.#batches.get(execution.batchSize);
    if (stats === undefined) {
      stats = { compute_input: duration(), compute_infer: duration(), compute_output: duration() };
      this.#batches.set(execution.batchSize, stats);
    }
    add(stats.compute_input, execution.computeInputNs);
    add(stats.compute_infer, execution.computeInferNs);
    add(stats.compute_output, execution.computeOutputNs);
  }

  /** The `model_stats` entry for this model version. */
  toJson(name: string, version: string): Record<string, unknown> {
    return {
      name,
      version,
      last_inference: this.#lastInferenceMs,
      inference_count: this.#inferenceCount,
      execution_count: this.#executionCount,
      inference_stats: this.#inference,
      response_stats: {},
      batch_stats: [...this.#batches.entries()]
        .sort(([a], [b]) => a - b)
        .map(([batchSize, stats]) => ({ batch_size: batchSize, ...stats })),
      memory_usage: [],
    };
  }
}
