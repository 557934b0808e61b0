// The messages between the engine (main thread) and its inference workers.
import type { RuntimePipeline } from '../../api/pipeline.ts';
import type { ModelSignature } from './signature.ts';
import type { Tensor } from './tensor.ts';

export type ExecutionProvider = 'cpu' | 'cuda';

/** Everything a worker needs to load its own InferenceSession (passed as workerData). */
export interface WorkerSettings {
  readonly modelPath: string;
  /** Steps around the model, run in this worker on the same batch. */
  readonly pipeline: RuntimePipeline;
  readonly executionProvider: ExecutionProvider;
  /** onnxruntime intra-op threads for this worker's session. */
  readonly intraOpThreads: number;
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
  | { readonly kind: 'loaded'; readonly signature: ModelSignature; readonly batchingVerified: boolean }
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
