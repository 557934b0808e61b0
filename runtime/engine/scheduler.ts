// The request queue in front of the workers, with adaptive dynamic batching: when a worker is
// free, it takes the oldest request plus compatible ones queued behind it, up to maxBatchSize
// rows, and runs them at once. Batches therefore form only while every worker is busy, and a
// lone request never waits for company. With a preferred batch size (Triton's option), a
// smaller batch waits up to maxQueueDelay for more rows instead. The queue is bounded: past
// maxQueueSize, submit answers QueueFull at once.
import { nowNs } from './clock.ts';
import type { RunOutcome } from './pool.ts';
import { concatBatch, sliceBatch, type Tensor } from './tensor.ts';

export interface BatchingPolicy {
  /** Most rows in one execution; 0 or 1 turns dynamic batching off. */
  readonly maxBatchSize: number;
  /** Rows worth waiting for; 0 dispatches whatever is queued as soon as a worker is free. */
  readonly preferredBatchSize: number;
  /** Longest a batch smaller than preferredBatchSize waits for more rows. */
  readonly maxQueueDelayNs: number;
  readonly maxQueueSize: number;
}

/** Time as the scheduler sees it; tests drive it by hand. */
export interface SchedulerClock {
  nowNs(): number;
  /** Calls `callback` once after `delayNs`. */
  after(delayNs: number, callback: () => void): void;
}

const SYSTEM_CLOCK: SchedulerClock = {
  nowNs,
  after: (delayNs, callback) => setTimeout(callback, Math.max(0, Math.ceil(delayNs / 1e6))),
};

/** One execution on a worker: input hand-over, session.run, output hand-back. */
export interface ExecutionTiming {
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
  /** Rows in the execution. */
  readonly batchSize: number;
}

/** A request's view: its time in the queue plus the execution it shared. */
export interface Timing extends ExecutionTiming {
  readonly queueNs: number;
}

export type ScheduleOutcome =
  | { readonly ok: true; readonly outputs: readonly Tensor[]; readonly timing: Timing }
  | { readonly ok: false; readonly kind: 'QueueFull' | 'Failed' | 'WorkerLost'; readonly message: string };

/** What the scheduler needs from the worker pool. */
export interface Executor {
  idleCount(): number;
  run(inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<RunOutcome>;
}

export interface SchedulerObserver {
  onExecution(timing: ExecutionTiming): void;
  onQueueLength(length: number): void;
}

interface Pending {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly string[] | undefined;
  /** Rows, or undefined when this request cannot share an execution. */
  readonly rows: number | undefined;
  /** Requests with the same key have equal non-batch dimensions and can be concatenated. */
  readonly key: string;
  readonly enqueuedNs: number;
  readonly resolve: (outcome: ScheduleOutcome) => void;
}

export class Scheduler {
  readonly #queue: Pending[] = [];
  readonly #policy: BatchingPolicy;
  readonly #executor: Executor;
  readonly #observer: SchedulerObserver;
  readonly #clock: SchedulerClock;
  #timerArmed = false;

  constructor(policy: BatchingPolicy, executor: Executor, observer: SchedulerObserver, clock: SchedulerClock = SYSTEM_CLOCK) {
    this.#policy = policy;
    this.#executor = executor;
    this.#observer = observer;
    this.#clock = clock;
  }

  /** Queues a validated request; `rows` is its batch size when it may be batched with others. */
  submit(inputs: readonly Tensor[], outputs: readonly string[] | undefined, rows: number | undefined): Promise<ScheduleOutcome> {
    if (this.#queue.length >= this.#policy.maxQueueSize) {
      return Promise.resolve({
        ok: false,
        kind: 'QueueFull',
        message: `the request queue is full (${this.#policy.maxQueueSize} pending requests); retry later`,
      });
    }
    const batchable = this.#policy.maxBatchSize > 1 && rows !== undefined && rows < this.#policy.maxBatchSize;
    const key = batchable ? inputs.map((tensor) => tensor.shape.slice(1).join('x')).join('|') : '';
    return new Promise((resolve) => {
      this.#queue.push({ inputs, outputs, rows: batchable ? rows : undefined, key, enqueuedNs: this.#clock.nowNs(), resolve });
      this.#observer.onQueueLength(this.#queue.length);
      this.pump();
    });
  }

  /** Dispatches as many batches as there are idle workers; called on submit, idle and timer. */
  pump(): void {
    while (this.#queue.length > 0 && this.#executor.idleCount() > 0) {
      const batch = this.#takeBatch();
      if (batch === undefined) break;
      this.#observer.onQueueLength(this.#queue.length);
      void this.#execute(batch);
    }
  }

  #takeBatch(): Pending[] | undefined {
    const head = this.#queue[0]!;
    if (head.rows === undefined) return [this.#queue.shift()!];
    const picked: number[] = [];
    let rows = 0;
    for (let index = 0; index < this.#queue.length && rows < this.#policy.maxBatchSize; index++) {
      const candidate = this.#queue[index]!;
      if (candidate.rows === undefined || candidate.key !== head.key || rows + candidate.rows > this.#policy.maxBatchSize) continue;
      picked.push(index);
      rows += candidate.rows;
    }
    const waitedNs = this.#clock.nowNs() - head.enqueuedNs;
    if (rows < this.#policy.preferredBatchSize && waitedNs < this.#policy.maxQueueDelayNs) {
      this.#armTimer(this.#policy.maxQueueDelayNs - waitedNs);
      return undefined;
    }
    const batch = picked.map((index) => this.#queue[index]!);
    for (let i = picked.length - 1; i >= 0; i--) this.#queue.splice(picked[i]!, 1);
    return batch;
  }

  #armTimer(delayNs: number): void {
    if (this.#timerArmed) return;
    this.#timerArmed = true;
    this.#clock.after(delayNs, () => {
      this.#timerArmed = false;
      this.pump();
    });
  }

  async #execute(batch: readonly Pending[]): Promise<void> {
    const dispatchNs = this.#clock.nowNs();
    const single = batch.length === 1;
    const inputs = single ? batch[0]!.inputs : batch[0]!.inputs.map((_, i) => concatBatch(batch.map((p) => p.inputs[i]!)));
    const outcome = await this.#executor.run(inputs, single ? batch[0]!.outputs : unionOutputs(batch));
    const doneNs = this.#clock.nowNs();
    if (!outcome.ok) {
      this.#fail(batch, outcome.message, outcome.workerLost);
      return;
    }
    const rows = single ? (inputs[0]?.shape[0] ?? 1) : batch.reduce((sum, p) => sum + p.rows!, 0);
    const shared: ExecutionTiming = {
      computeInputNs: outcome.inferStartNs - dispatchNs,
      computeInferNs: outcome.inferEndNs - outcome.inferStartNs,
      computeOutputNs: doneNs - outcome.inferEndNs,
      batchSize: rows,
    };
    this.#observer.onExecution(shared);
    let offset = 0;
    for (const pending of batch) {
      // A lone request's worker computed only the outputs it asked for: nothing to pick out.
      const wanted =
        single || pending.outputs === undefined ? outcome.outputs : outcome.outputs.filter((t) => pending.outputs!.includes(t.name));
      const outputs = single ? wanted : wanted.map((tensor) => sliceBatch(tensor, offset, pending.rows!));
      offset += pending.rows ?? 0;
      pending.resolve({ ok: true, outputs, timing: { ...shared, queueNs: dispatchNs - pending.enqueuedNs } });
    }
  }

  /** A failed shared execution is retried one request at a time so only the bad request fails. */
  #fail(batch: readonly Pending[], message: string, workerLost: boolean): void {
    if (batch.length === 1) {
      batch[0]!.resolve({ ok: false, kind: workerLost ? 'WorkerLost' : 'Failed', message });
      return;
    }
    this.#queue.unshift(...batch.map((pending) => ({ ...pending, rows: undefined })));
    this.#observer.onQueueLength(this.#queue.length);
    this.pump();
  }
}

function unionOutputs(batch: readonly Pending[]): readonly string[] | undefined {
  if (batch.some((pending) => pending.outputs === undefined)) return undefined;
  return [...new Set(batch.flatMap((pending) => pending.outputs!))];
}
