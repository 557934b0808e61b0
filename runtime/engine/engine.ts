// The inference engine behind the HTTP surface: loads the model into a worker pool (with
// warm-up), validates requests against the model's signature, and queues them for the
// scheduler. Its state is what readiness reports.
import { readFile } from 'node:fs/promises';
import type { RuntimePipeline } from '../../api/pipeline.ts';
import { parseLabels } from './labels.ts';
import { nowNs } from './clock.ts';
import { cpuBudget } from './cpus.ts';
import type { ExecutionProvider, SessionSettings, WorkerSettings } from './messages.ts';
import { WorkerPool, type OptimizedModelCacheUse } from './pool.ts';
import { Scheduler, type ScheduleOutcome, type SchedulerObserver } from './scheduler.ts';
import type { ModelSignature } from './signature.ts';
import type { Tensor } from './tensor.ts';
import { checkInputs, checkOutputs, requestBatchSize } from './validate.ts';

export interface EngineOptions {
  readonly modelPath: string;
  readonly pipeline: RuntimePipeline;
  readonly labelsPath: string | undefined;
  readonly executionProvider: ExecutionProvider;
  readonly workers: number;
  /** onnxruntime intra-op threads per worker; 0 shares the machine's cores among the workers. */
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly executionMode: SessionSettings['executionMode'];
  readonly graphOptimizationLevel: SessionSettings['graphOptimizationLevel'];
  readonly memoryArena: 'true' | 'false';
  readonly memoryPattern: 'true' | 'false';
  readonly optimizedModelCache: string | undefined;
  readonly maxBatchSize: number;
  /** Rows a batch waits for (up to maxQueueDelayMicros) even with a worker free; 0: never wait. */
  readonly preferredBatchSize: number;
  readonly maxQueueDelayMicros: number;
  readonly maxQueueSize: number;
}

export type EngineState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'ready';
      readonly signature: ModelSignature;
      readonly batching: boolean;
      readonly loadSeconds: number;
      readonly optimizedModelCache: OptimizedModelCacheUse;
      /** Class labels for the classification extension; empty without a labels file. */
      readonly labels: readonly string[];
      /** BYTES inputs that carry raw bytes (images) rather than text. */
      readonly rawInputs: ReadonlySet<string>;
    }
  | { readonly status: 'failed'; readonly reason: string };

export type InferOutcome = ScheduleOutcome | { readonly ok: false; readonly kind: 'Invalid' | 'Unavailable'; readonly message: string };

export interface EngineObserver extends SchedulerObserver {
  onWorkerLost(message: string): void;
}

/** Threads per worker so that all workers together use the allowed cores once. */
export function defaultIntraOpThreads(workers: number): number {
  return Math.max(1, Math.floor(cpuBudget() / workers));
}

export class Engine {
  #current: EngineState = { status: 'loading' };
  #pool: WorkerPool | undefined;
  #scheduler: Scheduler | undefined;
  /** Resolves with 'ready' or 'failed' once loading ends. */
  readonly loaded: Promise<EngineState>;

  constructor(options: EngineOptions, observer: EngineObserver) {
    this.loaded = this.#load(options, observer);
  }

  get state(): EngineState {
    return this.#current;
  }

  /**
   * Checks a request against the signature and runs it; `outputs` undefined returns every output.
   * Element counts are not checked again: every codec already matched each tensor's data to its shape.
   */
  infer(inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<InferOutcome> {
    const state = this.#current;
    if (state.status !== 'ready' || this.#scheduler === undefined) {
      const message = state.status === 'failed' ? `the model failed to load: ${state.reason}` : 'the model is still loading';
      return Promise.resolve({ ok: false, kind: 'Unavailable', message });
    }
    const problem = checkInputs(state.signature, inputs) ?? (outputs === undefined ? undefined : checkOutputs(state.signature, outputs));
    if (problem !== undefined) return Promise.resolve({ ok: false, kind: 'Invalid', message: problem });
    const ordered = state.signature.inputs.map((spec) => inputs.find((tensor) => tensor.name === spec.name)!);
    const rows = state.batching ? requestBatchSize(ordered) : undefined;
    return this.#scheduler.submit(ordered, outputs, rows);
  }

  /** Stops the workers; queued requests are not run. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  async #load(options: EngineOptions, observer: EngineObserver): Promise<EngineState> {
    const startedNs = nowNs();
    const wantBatching = options.maxBatchSize > 1;
    const labels = await readLabels(options.labelsPath);
    if (!labels.ok) {
      this.#current = { status: 'failed', reason: labels.message };
      return this.#current;
    }
    // sharp's shared libraries must stay loaded while workers come and go: load it here first.
    if ([...options.pipeline.preprocess, ...options.pipeline.postprocess].some((step) => 'image' in step)) await import('sharp');
    const settings: WorkerSettings = {
      modelPath: options.modelPath,
      pipeline: options.pipeline,
      executionProvider: options.executionProvider,
      session: sessionSettings(options),
      verifyBatching: wantBatching,
    };
    const loaded = await WorkerPool.start(
      settings,
      options.workers,
      () => this.#scheduler?.pump(),
      (m) => observer.onWorkerLost(m),
    );
    if (!loaded.ok) {
      this.#current = { status: 'failed', reason: loaded.message };
      return this.#current;
    }
    this.#pool = loaded.pool;
    const batching = wantBatching && loaded.signature.batchable && loaded.batchingVerified;
    this.#scheduler = new Scheduler(
      {
        maxBatchSize: batching ? options.maxBatchSize : 0,
        preferredBatchSize: Math.min(options.preferredBatchSize, options.maxBatchSize),
        maxQueueDelayNs: options.maxQueueDelayMicros * 1000,
        maxQueueSize: options.maxQueueSize,
      },
      loaded.pool,
      observer,
    );
    const loadSeconds = (nowNs() - startedNs) / 1e9;
    this.#current = {
      status: 'ready',
      signature: loaded.signature,
      batching,
      loadSeconds,
      optimizedModelCache: loaded.cache,
      labels: labels.value,
      rawInputs: new Set(loaded.signature.inputs.filter((spec) => spec.raw === true).map((spec) => spec.name)),
    };
    return this.#current;
  }
}

function sessionSettings(options: EngineOptions): SessionSettings {
  return {
    intraOpThreads: options.intraOpThreads > 0 ? options.intraOpThreads : defaultIntraOpThreads(options.workers),
    interOpThreads: options.interOpThreads,
    executionMode: options.executionMode,
    graphOptimizationLevel: options.graphOptimizationLevel,
    memoryArena: options.memoryArena === 'true',
    memoryPattern: options.memoryPattern === 'true',
    optimizedModelCache: options.optimizedModelCache,
  };
}

async function readLabels(path: string | undefined): Promise<{ ok: true; value: string[] } | { ok: false; message: string }> {
  if (path === undefined) return { ok: true, value: [] };
  try {
    return { ok: true, value: parseLabels(await readFile(path, 'utf8')) };
  } catch (error) {
    return { ok: false, message: `cannot read the labels file ${path}: ${(error as Error).message}` };
  }
}
