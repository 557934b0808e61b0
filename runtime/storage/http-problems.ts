// Turns HTTP responses and thrown network errors into attempt failures: which problem,
// and whether a retry can help (5xx, 408, 429, resets, timeouts: yes; other 4xx: no).
import { parseRetryAfter, type AttemptFailure } from './retry.ts';

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Reads at most `limit` bytes of an error body, for the reason in a message. */
export async function readErrorBody(response: Response, limit = 8192): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The reason is a courtesy; the status already says what happened.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** The failure an unsuccessful HTTP response stands for. `credentials` says what was sent. */
export function responseFailure(response: Response, reason: string, credentials: string): AttemptFailure {
  const status = response.status;
  if (status === 401 || status === 403) {
    return { retryable: false, problem: { kind: 'AccessDenied', status, reason, credentials } };
  }
  if (status === 404 || status === 410) {
    return { retryable: false, problem: { kind: 'NotFound', reason: `not found (HTTP ${status}${reason ? `, ${reason}` : ''})` } };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const text = `HTTP ${status} ${response.statusText}${reason ? `: ${reason}` : ''}`.trim();
    return { retryable: true, retryAfterMs, problem: { kind: 'Unavailable', reason: text, attempts: 1 } };
  }
  return { retryable: false, problem: { kind: 'HttpError', status, reason } };
}

/** The failure a thrown fetch/stream error stands for; `host` names the server in messages. */
export function thrownFailure(error: unknown, host: string): AttemptFailure {
  const code = errorCode(error);
  const message = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  if (code === 'ENOTFOUND') {
    return { retryable: false, problem: { kind: 'Network', reason: `DNS lookup failed for ${host} (ENOTFOUND)`, attempts: 1 } };
  }
  if (code === 'EAI_AGAIN') {
    return { retryable: true, problem: { kind: 'Network', reason: `DNS lookup for ${host} timed out (EAI_AGAIN)`, attempts: 1 } };
  }
  if (code === 'ECONNREFUSED') {
    return { retryable: true, problem: { kind: 'Network', reason: `connection to ${host} refused`, attempts: 1 } };
  }
  if (code && /CERT|TLS|SSL|SELF_SIGNED/.test(code)) {
    return { retryable: false, problem: { kind: 'Network', reason: `TLS error talking to ${host}: ${message}`, attempts: 1 } };
  }
  if (/redirect count exceeded/i.test(message)) {
    return { retryable: false, problem: { kind: 'HttpError', status: 310, reason: 'too many redirects' } };
  }
  if (code && TRANSIENT_CODES.has(code)) {
    return { retryable: true, problem: { kind: 'Network', reason: `${code} talking to ${host}: ${message}`, attempts: 1 } };
  }
  return { retryable: false, problem: { kind: 'Network', reason: `request to ${host} failed: ${message}`, attempts: 1 } };
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
