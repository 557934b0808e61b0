// Admission by bytes: request bodies in flight share one memory budget, checked before a
// body is buffered (from Content-Length, or chunk by chunk for chunked bodies), so a burst
// of large requests is refused with 503 + Retry-After instead of growing the heap. The
// request queue alone cannot do this: it counts requests, and bodies are read before it.
import { readFileSync } from 'node:fs';

/** Budget when the container has no memory limit. */
export const FALLBACK_BODY_BUDGET = 256 * 1024 * 1024;

/**
 * The budget is this fraction of the memory limit: a body is held as read, then decoded into
 * tensors and handed to a worker, so admitted bodies cost several times their size.
 */
const LIMIT_SHARE = 8;

/** cgroup v2, then v1: the container's memory limit in bytes, or undefined when unlimited. */
export function containerMemoryLimit(
  files: readonly string[] = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'],
): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    const bytes = Number(text);
    // cgroup v1 writes "unlimited" as a huge page-rounded number.
    return Number.isSafeInteger(bytes) && bytes > 0 && bytes < 2 ** 60 ? bytes : undefined;
  }
  return undefined;
}

/** The body budget when no flag or variable sets it. */
export function defaultBodyBudget(memoryLimit = containerMemoryLimit()): number {
  return memoryLimit === undefined ? FALLBACK_BODY_BUDGET : Math.floor(memoryLimit / LIMIT_SHARE);
}

/** Bytes of request bodies admitted and not yet answered. */
export class BodyBudget {
  #used = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get inUse(): number {
    return this.#used;
  }

  /**
   * Takes `bytes` if they fit. A lone request always fits, so a body up to the request size
   * limit is never refused forever when the budget is smaller than that limit.
   */
  take(bytes: number): boolean {
    if (this.#used > 0 && this.#used + bytes > this.capacity) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}
