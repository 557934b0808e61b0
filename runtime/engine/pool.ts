// A fixed set of inference workers, each with its own InferenceSession. The scheduler asks
// for an idle worker and hands it one execution at a time; a worker that dies is replaced.
import { Worker } from 'node:worker_threads';
import type { RunMessage, WorkerMessage, WorkerSettings } from './messages.ts';
import type { ModelSignature } from './signature.ts';
import { transferList, type Tensor } from './tensor.ts';

export type RunOutcome =
  | { readonly ok: true; readonly outputs: readonly Tensor[]; readonly inferStartNs: number; readonly inferEndNs: number }
  | { readonly ok: false; readonly message: string; readonly workerLost: boolean };

export type PoolLoad =
  | {
      readonly ok: true;
      readonly pool: WorkerPool;
      readonly signature: ModelSignature;
      readonly batchingVerified: boolean;
      readonly cache: OptimizedModelCacheUse;
    }
  | { readonly ok: false; readonly message: string };

/** How the workers' sessions met the optimised-model cache, summed over workers. */
export interface OptimizedModelCacheUse {
  readonly cachedSessions: number;
  readonly openedSessions: number;
  readonly problems: readonly string[];
}

interface Slot {
  worker: Worker;
  busy: ((outcome: RunOutcome) => void) | undefined;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** Starts a worker and resolves once its session has loaded and warmed up. */
function spawn(settings: WorkerSettings): Promise<{ worker: Worker; loaded: WorkerMessage }> {
  const worker = new Worker(WORKER_URL, { workerData: settings });
  return new Promise((resolve) => {
    const onExit = (code: number) =>
      resolve({ worker, loaded: { kind: 'load-failed', message: `inference worker exited with code ${code} while loading` } });
    worker.once('error', (error) => resolve({ worker, loaded: { kind: 'load-failed', message: error.message } }));
    worker.once('exit', onExit);
    worker.once('message', (message: WorkerMessage) => {
      worker.off('exit', onExit);
      resolve({ worker, loaded: message });
    });
  });
}

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #settings: WorkerSettings;
  readonly #onIdle: () => void;
  readonly #onWorkerLost: (message: string) => void;
  #nextId = 0;
  #closing = false;

  private constructor(settings: WorkerSettings, onIdle: () => void, onWorkerLost: (message: string) => void) {
    this.#settings = settings;
    this.#onIdle = onIdle;
    this.#onWorkerLost = onWorkerLost;
  }

  /** Loads `count` workers in parallel; fails with the first load error (all workers stopped). */
  static async start(
    settings: WorkerSettings,
    count: number,
    onIdle: () => void,
    onWorkerLost: (message: string) => void,
  ): Promise<PoolLoad> {
    const spawned = await Promise.all(Array.from({ length: count }, () => spawn(settings)));
    const failed = spawned.find((entry) => entry.loaded.kind !== 'loaded');
    if (failed !== undefined) {
      await Promise.all(spawned.map((entry) => entry.worker.terminate()));
      return { ok: false, message: failed.loaded.kind === 'load-failed' ? failed.loaded.message : 'unexpected worker message' };
    }
    const pool = new WorkerPool(settings, onIdle, onWorkerLost);
    for (const entry of spawned) pool.#adopt(entry.worker);
    const reports = spawned.map((entry) => entry.loaded as Extract<WorkerMessage, { kind: 'loaded' }>);
    const cache = {
      cachedSessions: reports.reduce((sum, report) => sum + report.cachedSessions, 0),
      openedSessions: reports.reduce((sum, report) => sum + report.openedSessions, 0),
      problems: [...new Set(reports.flatMap((report) => report.cacheProblems))],
    };
    return { ok: true, pool, signature: reports[0]!.signature, batchingVerified: reports[0]!.batchingVerified, cache };
  }

  /** Workers free to take an execution now. */
  idleCount(): number {
    let idle = 0;
    for (const slot of this.#slots) if (slot.busy === undefined) idle++;
    return idle;
  }

  /** Runs one execution on an idle worker; large numeric inputs owning their buffer are transferred. */
  run(inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<RunOutcome> {
    const slot = this.#slots.find((candidate) => candidate.busy === undefined);
    if (slot === undefined) return Promise.resolve({ ok: false, message: 'no idle inference worker', workerLost: false });
    const message: RunMessage = { kind: 'run', id: this.#nextId++, inputs, outputs };
    return new Promise((resolve) => {
      slot.busy = resolve;
      slot.worker.postMessage(message, transferList(inputs));
    });
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #adopt(worker: Worker): void {
    const slot: Slot = { worker, busy: undefined };
    this.#slots.push(slot);
    worker.on('message', (message: WorkerMessage) => this.#finish(slot, message));
    worker.on('error', (error) => this.#onWorkerLost(`inference worker failed: ${error.message}`));
    worker.on('exit', (code) => this.#replace(slot, code));
  }

  #finish(slot: Slot, message: WorkerMessage): void {
    const resolve = slot.busy;
    if (resolve === undefined) return;
    slot.busy = undefined;
    if (message.kind === 'result') {
      resolve({ ok: true, outputs: message.outputs, inferStartNs: message.inferStartNs, inferEndNs: message.inferEndNs });
    } else {
      resolve({
        ok: false,
        message: message.kind === 'run-failed' ? message.message : `unexpected worker message ${message.kind}`,
        workerLost: false,
      });
    }
    this.#onIdle();
  }

  #replace(slot: Slot, code: number): void {
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    slot.busy?.({ ok: false, message: `inference worker exited with code ${code} during the request`, workerLost: true });
    if (this.#closing) return;
    this.#onWorkerLost(`inference worker exited with code ${code}; starting a replacement`);
    void spawn(this.#settings).then(({ worker, loaded }) => {
      if (loaded.kind !== 'loaded' || this.#closing) {
        void worker.terminate();
        if (!this.#closing)
          this.#onWorkerLost(`replacement worker failed to load: ${loaded.kind === 'load-failed' ? loaded.message : loaded.kind}`);
        return;
      }
      this.#adopt(worker);
      this.#onIdle();
    });
  }
}
