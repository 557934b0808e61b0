// What can go wrong while fetching a model, as values. Every problem names the URI
// and a reason a person can act on; credentials are described by where they came
// from, never by their value.

/** One reason a model fetch failed. */
export type StorageProblem =
  | { readonly kind: 'InvalidUri'; readonly reason: string }
  | { readonly kind: 'InvalidArgument'; readonly reason: string }
  | { readonly kind: 'NotFound'; readonly reason: string }
  | { readonly kind: 'AccessDenied'; readonly status: number; readonly reason: string; readonly credentials: string }
  | { readonly kind: 'HttpError'; readonly status: number; readonly reason: string }
  | { readonly kind: 'Unavailable'; readonly reason: string; readonly attempts: number }
  | { readonly kind: 'Network'; readonly reason: string; readonly attempts: number }
  | { readonly kind: 'Timeout'; readonly reason: string; readonly attempts: number }
  | { readonly kind: 'ChecksumMismatch'; readonly expected: string; readonly actual: string }
  | { readonly kind: 'TooLarge'; readonly limitBytes: number; readonly reason: string }
  | { readonly kind: 'UnsafePath'; readonly path: string }
  | { readonly kind: 'NotAModel'; readonly reason: string }
  | { readonly kind: 'Aborted'; readonly reason: string }
  /** A request the egress policy does not allow (another host, a link-local address, credentials over plain http). */
  | { readonly kind: 'Refused'; readonly reason: string }
  | { readonly kind: 'Io'; readonly reason: string };

/** A one-line description of a problem (without the URI). */
export function describeProblem(problem: StorageProblem): string {
  switch (problem.kind) {
    case 'AccessDenied':
      return `access denied (HTTP ${problem.status}${problem.reason ? `, ${problem.reason}` : ''}) using ${problem.credentials}`;
    case 'HttpError':
      return `HTTP ${problem.status}${problem.reason ? `: ${problem.reason}` : ''}`;
    case 'Unavailable':
    case 'Network':
    case 'Timeout':
      return problem.attempts > 1 ? `${problem.reason} (gave up after ${problem.attempts} attempts)` : problem.reason;
    case 'ChecksumMismatch':
      return `sha256 mismatch: expected ${problem.expected}, got ${problem.actual}`;
    case 'TooLarge':
      return `${problem.reason} exceeds the size limit of ${formatBytes(problem.limitBytes)} (raise --max-bytes)`;
    case 'UnsafePath':
      return `refusing object name ${JSON.stringify(problem.path)}: it would escape the model directory`;
    default:
      return problem.reason;
  }
}

/** The error `fetchModel` rejects with: a problem plus the URI it concerns. */
export class ModelFetchError extends Error {
  readonly uri: string;
  readonly problem: StorageProblem;
  constructor(uri: string, problem: StorageProblem) {
    super(`fetch ${uri}: ${problem.kind}: ${describeProblem(problem)}`);
    this.name = 'ModelFetchError';
    this.uri = uri;
    this.problem = problem;
  }
  get kind(): StorageProblem['kind'] {
    return this.problem.kind;
  }
}

/** Ok-or-problem result used inside the storage code. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: StorageProblem };

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps a problem as a failed Result. */
export function fail<T = never>(problem: StorageProblem): Result<T> {
  return { ok: false, problem };
}

/** Human-readable byte count (binary units, like Kubernetes quantities). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
