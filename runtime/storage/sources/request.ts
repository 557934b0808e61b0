// HTTP plumbing shared by the http, s3 and gs sources: one streamed GET for object
// bodies, one retried GET for listings and tokens. Requests are prepared per attempt
// so that signatures (SigV4 dates, tokens) are always fresh.
import { Readable } from 'node:stream';
import { fail, ok, type Result } from '../errors.ts';
import { readErrorBody, responseFailure, thrownFailure } from '../http-problems.ts';
import { retryEvent, withRetries, type AttemptResult } from '../retry.ts';
import type { OpenedBody } from '../transfer.ts';
import { redactUri } from '../../../api/redact.ts';
import { fetchWithinPolicy, type EgressInit, type EgressPolicy } from './egress.ts';
import type { SourceContext } from './source.ts';

/** A request ready to send. */
export interface PreparedRequest {
  readonly url: string;
  readonly init: EgressInit;
}

/** How to describe a response for one source. */
export interface RequestStyle {
  /** What is being requested, for retry logs ("listing s3://bucket/prefix/"). */
  readonly what: string;
  /** What credentials the request carried, for 401/403 messages. */
  readonly credentials: string;
  /** Extracts a short reason from an error body (S3 XML, GCS JSON). */
  readonly errorReason: (body: string, response: Response) => string;
  /** Refuse HTML pages (login walls) where a model was expected. */
  readonly rejectHtml?: boolean;
}

/** Opens a streamed GET; fails with the problem an error response stands for. */
export async function openStream(
  prepare: () => Promise<PreparedRequest>,
  signal: AbortSignal,
  style: RequestStyle,
  egress: EgressPolicy,
): Promise<AttemptResult<OpenedBody>> {
  const request = await prepare();
  const host = new URL(request.url).host;
  let response: Response;
  try {
    const answered = await fetchWithinPolicy(request.url, request.init, egress, signal);
    if (!answered.ok) return { ok: false, retryable: false, problem: answered.problem };
    response = answered.response;
  } catch (error) {
    return { ok: false, ...thrownFailure(error, host) };
  }
  if (!response.ok || !response.body) {
    const reason = style.errorReason(await readErrorBody(response), response);
    return { ok: false, ...responseFailure(response, reason, style.credentials) };
  }
  if (style.rejectHtml && /^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
    await response.body.cancel().catch(() => undefined);
    return {
      ok: false,
      retryable: false,
      problem: {
        kind: 'NotAModel',
        reason: `${redactUri(request.url)} answered with an HTML page, not a model (a login page or a directory listing?)`,
      },
    };
  }
  const length = response.headers.get('content-length');
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  return {
    ok: true,
    value: {
      body: Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
      size: length !== null && !encoded && /^\d+$/.test(length) ? Number(length) : null,
    },
  };
}

/** A small GET (listing, metadata) with retries and a timeout; returns the body text. */
export async function fetchText(
  prepare: () => Promise<PreparedRequest>,
  context: SourceContext,
  style: RequestStyle,
): Promise<Result<string>> {
  const result = await withRetries(
    context.retry,
    context.signal,
    async (): Promise<AttemptResult<string>> => {
      const request = await prepare();
      const host = new URL(request.url).host;
      const timeout = AbortSignal.timeout(context.idleTimeoutMs);
      const signal = context.signal ? AbortSignal.any([context.signal, timeout]) : timeout;
      try {
        const answered = await fetchWithinPolicy(request.url, request.init, context.egress, signal);
        if (!answered.ok) return { ok: false, retryable: false, problem: answered.problem };
        const response = answered.response;
        if (!response.ok)
          return { ok: false, ...responseFailure(response, style.errorReason(await readErrorBody(response), response), style.credentials) };
        return { ok: true, value: await response.text() };
      } catch (error) {
        if (context.signal?.aborted) return { ok: false, retryable: false, problem: { kind: 'Aborted', reason: 'cancelled' } };
        if (timeout.aborted)
          return {
            ok: false,
            retryable: true,
            problem: { kind: 'Timeout', reason: `no answer from ${host} within ${context.idleTimeoutMs / 1000}s`, attempts: 1 },
          };
        return { ok: false, ...thrownFailure(error, host) };
      }
    },
    (failure, attempt, delayMs) => context.log(retryEvent(style.what, failure, attempt, delayMs)),
  );
  return result.ok ? ok(result.value) : fail(result.problem);
}
