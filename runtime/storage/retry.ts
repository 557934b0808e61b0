// Retries with exponential backoff and full jitter (the AWS architecture blog's
// recommendation): transient failures of many init containers started together do not
// come back in lockstep.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeProblem, type StorageProblem } from './errors.ts';

/** How often and how patiently to retry transient failures. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A failed attempt: the problem, and whether trying again could help. */
export interface AttemptFailure {
  readonly problem: StorageProblem;
  readonly retryable: boolean;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number | undefined;
}

export type AttemptResult<T> = { readonly ok: true; readonly value: T } | ({ readonly ok: false } & AttemptFailure);

/** Delay before retry number `retry` (1-based): random in [0, min(max, base * 2^(retry-1))]. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.round(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs));
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the policy is spent.
 * Transient problems come back with the number of attempts made.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (attemptNumber: number) => Promise<AttemptResult<T>>,
  onRetry: (failure: AttemptFailure, attemptNumber: number, delayMs: number) => void,
): Promise<AttemptResult<T>> {
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const result = await attempt(attemptNumber);
    if (result.ok || !result.retryable || attemptNumber >= policy.attempts || signal?.aborted) {
      return result.ok ? result : { ...result, problem: withAttempts(result.problem, attemptNumber) };
    }
    const delayMs = backoffDelay(policy, attemptNumber, Math.random, result.retryAfterMs);
    onRetry(result, attemptNumber, delayMs);
    try {
      await sleep(delayMs, undefined, { signal });
    } catch {
      return { ok: false, retryable: false, problem: { kind: 'Aborted', reason: 'cancelled while waiting to retry' } };
    }
  }
}

function withAttempts(problem: StorageProblem, attempts: number): StorageProblem {
  switch (problem.kind) {
    case 'Unavailable':
    case 'Network':
    case 'Timeout':
      return { ...problem, attempts };
    default:
      return problem;
  }
}

/** The log event for a retry of `what` (a file or a listing). */
export function retryEvent(what: string, failure: AttemptFailure, attempt: number, delayMs: number): Record<string, unknown> {
  return { level: 'warn', msg: 'fetch-model retry', what, attempt, delay_ms: delayMs, reason: describeProblem(failure.problem) };
}
