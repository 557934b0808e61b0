// How a worker opens one InferenceSession: the session options serve exposes, and the
// optimised-model cache. onnxruntime can write the graph it optimised
// (optimizedModelFilePath); a later start that loads that file with optimisation off skips
// the work. The file is keyed by everything that shapes it (model bytes, onnxruntime
// version, provider, level), since an 'all'-level graph may hold fusions specific to this
// build and CPU, and is written under a temporary name and renamed, so workers and pods
// sharing the directory never read half a file.
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { loadOnnxRuntime } from '../onnx/runtime.ts';
import type { ExecutionProvider, SessionSettings } from './messages.ts';

const ort = await loadOnnxRuntime();
type Session = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
type SessionOptions = NonNullable<Parameters<typeof ort.InferenceSession.create>[1]>;

export interface OpenedSession {
  readonly session: Session;
  /** Whether the optimised graph came from the cache (false: optimised now, and cached if possible). */
  readonly fromCache: boolean;
  /** Why the cache could not be used, when it could not. */
  readonly cacheProblem: string | undefined;
}

function baseOptions(session: SessionSettings, provider: ExecutionProvider): SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: session.intraOpThreads,
    interOpNumThreads: session.interOpThreads,
    executionMode: session.executionMode,
    graphOptimizationLevel: session.graphOptimizationLevel,
    enableCpuMemArena: session.memoryArena,
    enableMemPattern: session.memoryPattern,
    // Failures reach the client and the JSON log; onnxruntime's own stderr lines would be unstructured duplicates.
    logSeverityLevel: 4,
    // Spinning intra-op threads burn the cores the HTTP thread and other workers need.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** The cache file for a model under these settings: same inputs, same name. */
export function cachedModelPath(directory: string, modelPath: string, session: SessionSettings, provider: ExecutionProvider): string {
  const hash = createHash('sha256');
  // In chunks: a model may be gigabytes, and each worker hashes it.
  const file = openSync(modelPath, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let read = readSync(file, chunk); read > 0; read = readSync(file, chunk)) hash.update(chunk.subarray(0, read));
  } finally {
    closeSync(file);
  }
  hash.update(`\0${ort.env.versions.common}\0${provider}\0${session.graphOptimizationLevel}`);
  const digest = hash.digest('hex');
  return join(directory, `${digest.slice(0, 32)}.onnx`);
}

function writableDirectory(directory: string): string | undefined {
  try {
    mkdirSync(directory, { recursive: true });
    accessSync(directory, constants.W_OK);
    return undefined;
  } catch (error) {
    return `the optimized-model cache ${directory} is not a writable directory (${(error as NodeJS.ErrnoException).code}); optimising at every start`;
  }
}

/** Opens a session, through the optimised-model cache when one is configured. */
export async function openSession(modelPath: string, session: SessionSettings, provider: ExecutionProvider): Promise<OpenedSession> {
  const options = baseOptions(session, provider);
  const directory = session.optimizedModelCache;
  if (directory === undefined || session.graphOptimizationLevel === 'disabled') {
    return { session: await ort.InferenceSession.create(modelPath, options), fromCache: false, cacheProblem: undefined };
  }
  const cached = cachedModelPath(directory, modelPath, session, provider);
  if (existsSync(cached)) {
    const loaded = await ort.InferenceSession.create(cached, { ...options, graphOptimizationLevel: 'disabled' });
    return { session: loaded, fromCache: true, cacheProblem: undefined };
  }
  const problem = writableDirectory(directory);
  if (problem !== undefined)
    return { session: await ort.InferenceSession.create(modelPath, options), fromCache: false, cacheProblem: problem };
  const partial = `${cached}.${process.pid}-${threadId}.partial`;
  try {
    const created = await ort.InferenceSession.create(modelPath, { ...options, optimizedModelFilePath: partial });
    renameSync(partial, cached);
    return { session: created, fromCache: false, cacheProblem: undefined };
  } finally {
    rmSync(partial, { force: true });
  }
}
