// API failures as values. Callers branch on `kind`, never on message text.

/** Why a Kubernetes API call failed. */
export type KubeErrorKind = 'NotFound' | 'Conflict' | 'Invalid' | 'Forbidden' | 'Transient';

export interface KubeError {
  readonly kind: KubeErrorKind;
  /** HTTP status, 0 when the request never got an answer. */
  readonly status: number;
  /** metav1.Status reason (AlreadyExists, Conflict, Invalid, ...) when the server sent one. */
  readonly reason: string;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KubeError };

/** Wraps a value as a successful Result. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps an error as a failed Result. */
export function fail<T>(error: KubeError): Result<T> {
  return { ok: false, error };
}

/** Maps an HTTP status to an error kind. */
export function errorKindForStatus(status: number): KubeErrorKind {
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 400 || status === 422) return 'Invalid';
  if (status === 401 || status === 403) return 'Forbidden';
  return 'Transient'; // 410 Gone, 429, 5xx and anything unexpected: retrying is the right move
}

/** Builds a KubeError from a response; the apiserver's body is usually a metav1.Status but may be raw text. */
export function errorFromResponse(status: number, bodyText: string): KubeError {
  let reason = '';
  let message = bodyText.trim().slice(0, 2000);
  try {
    const parsed = JSON.parse(bodyText) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON (proxies, some 5xx): keep the raw text as the message
  }
  return { kind: errorKindForStatus(status), status, reason, message: message || `HTTP ${status}` };
}

/** Builds a KubeError for a request that got no HTTP answer (connection refused, reset, timeout). */
export function errorFromException(err: unknown): KubeError {
  const message = err instanceof Error ? `${err.message}${causeText(err)}` : String(err);
  return { kind: 'Transient', status: 0, reason: 'NetworkError', message };
}

function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `: ${cause.message}` : '';
}

/** One-line description of an error for logs, events and conditions. */
export function describeError(error: KubeError): string {
  return `${error.kind}${error.reason ? ` (${error.reason})` : ''}: ${error.message}`;
}
