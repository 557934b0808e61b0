// Streams remote files into the staging directory: one pipeline per file (flat memory,
// backpressure from the disk), an idle timeout, the size limit enforced on the bytes
// that actually arrive, sha256 of the model as it streams, and retries per file.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fail, formatBytes, ok, type Result } from './errors.ts';
import { thrownFailure } from './http-problems.ts';
import type { LogEvent, Progress } from './progress.ts';
import { retryEvent, withRetries, type AttemptResult, type RetryPolicy } from './retry.ts';

/** An opened stream of one file's bytes. */
export interface OpenedBody {
  readonly body: Readable;
  /** Content length when the server said, for truncation checks. */
  readonly size: number | null;
}

/** One file to fetch: where it goes and how to open it (again, on retry). */
export interface RemoteFile {
  readonly target: string;
  readonly size: number | null;
  /** The object's own URI or host, for logs and network errors. */
  readonly label: string;
  readonly host: string;
  open(signal: AbortSignal): Promise<AttemptResult<OpenedBody>>;
}

export interface TransferOptions {
  readonly stagingDir: string;
  readonly limitBytes: number;
  readonly idleTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Hash the model file as it streams (costs about 2 s of CPU per GiB, so only when verifying). */
  readonly hashModel: boolean;
  /** The file that is hashed: model.onnx, or the one file fetched under a given name. */
  readonly primaryTarget: string;
  readonly progress: Progress;
  readonly log: (event: LogEvent) => void;
  readonly signal?: AbortSignal | undefined;
}

/** What was written; `sha256` is the model file's digest, when it was hashed. */
export interface Transferred {
  readonly bytes: number;
  readonly sha256: string | null;
}

class SizeLimitExceeded extends Error {}
class IdleTimeout extends Error {}

/** Fetches every file into the staging directory, in order. */
export async function transferAll(files: readonly RemoteFile[], options: TransferOptions): Promise<Result<Transferred>> {
  let sha256: string | null = null;
  for (const file of files) {
    const result = await withRetries(
      options.retry,
      options.signal,
      () => transferOnce(file, options),
      (failure, attempt, delayMs) => {
        options.log(retryEvent(file.label, failure, attempt, delayMs));
      },
    );
    if (!result.ok) return fail(result.problem);
    if (file.target === options.primaryTarget) sha256 = result.value;
  }
  return ok({ bytes: options.progress.bytes, sha256 });
}

async function transferOnce(file: RemoteFile, options: TransferOptions): Promise<AttemptResult<string | null>> {
  const attempt = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, attempt.signal]) : attempt.signal;
  const idle = idleTimer(options.idleTimeoutMs, () => attempt.abort(new IdleTimeout()));
  const destination = path.join(options.stagingDir, file.target);
  const before = options.progress.bytes;
  let received = 0;
  try {
    // The directory exists before the body opens: an error on an unconsumed body has no listener.
    await mkdir(path.dirname(destination), { recursive: true });
    const attempted = await file.open(signal);
    if (!attempted.ok) return attempted;
    const opened = attempted.value;
    if (opened.size !== null && before + opened.size > options.limitBytes) {
      opened.body.destroy();
      return {
        ok: false,
        retryable: false,
        problem: { kind: 'TooLarge', limitBytes: options.limitBytes, reason: `${file.label} (${formatBytes(opened.size)})` },
      };
    }
    const hash = options.hashModel && file.target === options.primaryTarget ? createHash('sha256') : null;
    await pipeline(
      opened.body,
      async function* count(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          idle.reset();
          received += chunk.byteLength;
          if (before + received > options.limitBytes) throw new SizeLimitExceeded();
          hash?.update(chunk);
          options.progress.add(chunk.byteLength, file.target);
          yield chunk;
        }
      },
      createWriteStream(destination),
      { signal },
    );
    if (opened.size !== null && received !== opened.size) {
      throw Object.assign(new Error(`connection closed after ${received} of ${opened.size} bytes`), { code: 'ECONNRESET' });
    }
    return { ok: true, value: hash ? hash.digest('hex') : null };
  } catch (error) {
    options.progress.add(-received, file.target);
    return failureOf(error, file, destination, options, attempt.signal);
  } finally {
    idle.clear();
  }
}

function failureOf(
  error: unknown,
  file: RemoteFile,
  destination: string,
  options: TransferOptions,
  attemptSignal: AbortSignal,
): AttemptResult<never> {
  if (error instanceof SizeLimitExceeded) {
    return {
      ok: false,
      retryable: false,
      problem: { kind: 'TooLarge', limitBytes: options.limitBytes, reason: `the download (stopped at ${file.label})` },
    };
  }
  if (options.signal?.aborted) return { ok: false, retryable: false, problem: { kind: 'Aborted', reason: 'cancelled' } };
  if (attemptSignal.aborted && attemptSignal.reason instanceof IdleTimeout) {
    const seconds = options.idleTimeoutMs / 1000;
    return { ok: false, retryable: true, problem: { kind: 'Timeout', reason: `no data from ${file.host} for ${seconds}s`, attempts: 1 } };
  }
  if ((error as { path?: unknown }).path === destination || (error as { code?: unknown }).code === 'ENOSPC') {
    return { ok: false, retryable: false, problem: { kind: 'Io', reason: `writing ${destination}: ${(error as Error).message}` } };
  }
  return { ok: false, ...thrownFailure(error, file.host) };
}

function idleTimer(ms: number, onIdle: () => void): { reset(): void; clear(): void } {
  const timer = setTimeout(onIdle, ms);
  return {
    reset() {
      timer.refresh();
    },
    clear() {
      clearTimeout(timer);
    },
  };
}
