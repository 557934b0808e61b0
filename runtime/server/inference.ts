// The part of an inference request every protocol (V2 and V1 REST, gRPC) shares: run it through the engine and
// account for it in metrics and Triton statistics.
import type { ServerResponse } from 'node:http';
import { nowNs } from '../engine/clock.ts';
import type { InferOutcome } from '../engine/engine.ts';
import type { Timing } from '../engine/scheduler.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { TraceHeaders } from '../tracing/tracing.ts';
import type { ServeContext } from './context.ts';
import type { Protocol } from './metrics.ts';
import { sendProblem, type Problem } from './problems.ts';

export type InferenceResult =
  | { readonly ok: true; readonly outputs: readonly Tensor[]; readonly timing: Timing }
  | { readonly ok: false; readonly problem: Problem };

function problemOf(outcome: Extract<InferOutcome, { ok: false }>): Problem {
  switch (outcome.kind) {
    case 'Invalid':
      return { kind: 'BadRequest', message: outcome.message };
    case 'Failed':
      return { kind: 'BadRequest', message: `inference failed: ${outcome.message}` };
    case 'Unavailable':
      return { kind: 'Unavailable', message: outcome.message };
    case 'QueueFull':
      return { kind: 'QueueFull', message: outcome.message };
    case 'WorkerLost':
      return { kind: 'Internal', message: outcome.message };
  }
}

/** The result, or a Timeout problem once `deadlineMs` passes (the engine's work is then discarded). */
function withinDeadline(work: Promise<InferenceResult>, deadlineMs: number): Promise<InferenceResult> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<InferenceResult>((resolve) => {
    const message = `the request did not finish within ${deadlineMs} ms (--request-deadline-ms / KUBEINFER_REQUEST_DEADLINE_MS)`;
    timer = setTimeout(() => resolve({ ok: false, problem: { kind: 'Timeout', message } }), deadlineMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Runs validated-by-codec tensors through the engine, within the request deadline. */
export function infer(ctx: ServeContext, inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<InferenceResult> {
  const work = ctx.engine
    .infer(inputs, outputs)
    .then((outcome): InferenceResult => (outcome.ok ? outcome : { ok: false, problem: problemOf(outcome) }));
  return withinDeadline(work, ctx.config.requestDeadlineMs);
}

/**
 * Counts a request in the in-flight gauge (the concurrency autoscaling metric) from now until
 * its response closes: only once its body has arrived, so slow uploads do not scale the pods.
 */
export function countInFlight(ctx: ServeContext, res: ServerResponse): void {
  ctx.metrics.inflight(1);
  res.once('close', () => ctx.metrics.inflight(-1));
}

/** Counts a failed inference request (either protocol), logging server-side faults; traced when tracing is on. */
export function recordFailure(ctx: ServeContext, startNs: number, problem: Problem, protocol: Protocol, trace?: TraceHeaders): void {
  const endNs = nowNs();
  ctx.metrics.requestFailed(problem.kind, protocol);
  ctx.statistics.requestFailed(endNs - startNs);
  if (problem.kind === 'Internal') ctx.log('error', 'inference request failed', { error: problem.message, protocol });
  if (ctx.tracing !== undefined && trace !== undefined)
    ctx.tracing.recordRequest(
      'infer',
      trace,
      { startNs, inferredNs: endNs, timing: undefined },
      spanAttributes(ctx, protocol),
      problem.message,
    );
}

/** Answers a failed REST inference request and counts it. */
export function failInference(ctx: ServeContext, res: ServerResponse, startNs: number, problem: Problem): void {
  recordFailure(ctx, startNs, problem, 'rest', res.req?.headers);
  sendProblem(res, problem);
}

/** Counts a successful inference request once its response is written; traced (with `inferredNs`, when the engine answered) when tracing is on. */
export function recordSuccess(
  ctx: ServeContext,
  startNs: number,
  timing: Timing,
  protocol: Protocol,
  trace?: TraceHeaders,
  inferredNs = 0,
): void {
  const endNs = nowNs();
  ctx.metrics.requestSucceeded(endNs - startNs, timing, protocol);
  ctx.statistics.requestSucceeded(endNs - startNs, timing);
  if (ctx.tracing !== undefined && trace !== undefined)
    ctx.tracing.recordRequest('infer', trace, { startNs, inferredNs, timing }, spanAttributes(ctx, protocol), undefined);
}

function spanAttributes(ctx: ServeContext, protocol: Protocol) {
  return { 'kubeinfer.model': ctx.config.modelName, 'kubeinfer.model_version': ctx.config.modelVersion, 'kubeinfer.protocol': protocol };
}
