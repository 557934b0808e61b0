// The messages between the engine (main thread) and its inference workers.
import type { RuntimePipeline } from '../../api/pipeline.ts';
import type { ModelSignature } from './signature.ts';
import type { Tensor } from './tensor.ts';

export type ExecutionProvider = 'cpu' | 'cuda';

/** onnxruntime session options, the same for every session a worker opens. */
export interface SessionSettings {
  readonly intraOpThreads: number;
  /** Threads running independent nodes at once; used only in parallel execution mode. */
  readonly interOpThreads: number;
  readonly executionMode: 'sequential' | 'parallel';
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  readonly memoryArena: boolean;
  readonly memoryPattern: boolean;
  /** Directory for optimised graphs, reused on later starts; undefined: optimise at every start. */
  readonly optimizedModelCache: string | undefined;
}

/** Everything a worker needs to load its own InferenceSession (passed as workerData). */
export interface WorkerSettings {
  readonly modelPath: string;
  /** Steps around the model, run in this worker on the same batch. */
  readonly pipeline: RuntimePipeline;
  readonly executionProvider: ExecutionProvider;
  readonly session: SessionSettings;
  /** Also warm up with a batch of 2 and check that outputs split on dimension 0. */
  readonly verifyBatching: boolean;
}

export interface RunMessage {
  readonly kind: 'run';
  readonly id: number;
  readonly inputs: readonly Tensor[];
  /** Output names to compute; undefined computes them all. */
  readonly outputs: readonly string[] | undefined;
}

export type WorkerMessage =
  | {
      readonly kind: 'loaded';
      readonly signature: ModelSignature;
      readonly batchingVerified: boolean;
      /** Sessions whose optimised graph came from the cache, out of all opened. */
      readonly cachedSessions: number;
      readonly openedSessions: number;
      /** Why the optimised-model cache could not be used, when it could not. */
      readonly cacheProblems: readonly string[];
    }
  | { readonly kind: 'load-failed'; readonly message: string }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly outputs: readonly Tensor[];
      /** process.hrtime in ns (one clock for all threads): session.run started and ended. */
      readonly inferStartNs: number;
      readonly inferEndNs: number;
    }
  | { readonly kind: 'run-failed'; readonly id: number; readonly message: string };
