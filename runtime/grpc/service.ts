// Triton's GRPCInferenceService over the same engine, limits, metrics and statistics as the
// REST surface: each RPC answers what its REST route answers, problems become gRPC statuses.
import {
  status,
  type Metadata,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type StatusObject,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { nowNs } from '../engine/clock.ts';
import { checkTarget, configOptions, unavailable, type ServeContext } from '../server/context.ts';
import { applyClassification } from '../server/classification.ts';
import { infer, recordFailure, recordSuccess } from '../server/inference.ts';
import { modelConfig, modelMetadata } from '../server/model-config.ts';
import type { Problem, ProblemKind } from '../server/problems.ts';
import { SERVER_EXTENSIONS } from '../server/routes-v2.ts';
import type { TraceHeaders } from '../tracing/tracing.ts';
import type { ModelInferRequest, ModelInferResponse } from './protocol.ts';
import { decodeInferRequest, encodeOutputs } from './tensors.ts';

/** The gRPC status for each kind of problem the REST surface answers with an HTTP status. */
const CODES: Readonly<Record<ProblemKind, status>> = {
  BadRequest: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  TooLarge: status.RESOURCE_EXHAUSTED,
  UnsupportedEncoding: status.INVALID_ARGUMENT,
  Unavailable: status.UNAVAILABLE,
  QueueFull: status.UNAVAILABLE,
  Timeout: status.DEADLINE_EXCEEDED,
  Internal: status.INTERNAL,
};

/** A problem as the error a unary callback or a stream reports. */
export function statusOf(problem: Problem): Partial<StatusObject> {
  return { code: CODES[problem.kind], details: problem.message };
}

type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

interface TargetRequest {
  readonly name: string;
  readonly version: string;
}

const answered = <T>(value: T): Answer<T> => ({ ok: true, value });
const refused = (problem: Problem): Answer<never> => ({ ok: false, problem });

/** Adapts a synchronous answer to grpc-js's unary callback. */
function unary<Req, Res>(answer: (request: Req) => Answer<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    const result = answer(call.request);
    if (result.ok) callback(null, result.value);
    else callback(statusOf(result.problem));
  };
}

/** The model-scoped answer once the model is loaded, or why not (an empty version means any). */
function whenLoaded<T>(ctx: ServeContext, request: TargetRequest, answer: () => T): Answer<T> {
  const problem = checkTarget(ctx, request.name, request.version || undefined) ?? unavailable(ctx);
  return problem === undefined ? answered(answer()) : refused(problem);
}

const NO_RAW_INPUTS: ReadonlySet<string> = new Set();

function readyState(ctx: ServeContext) {
  return ctx.engine.state as Extract<ServeContext['engine']['state'], { status: 'ready' }>;
}

function signature(ctx: ServeContext) {
  return readyState(ctx).signature;
}

/** Runs one ModelInferRequest through the shared path, counting it as a gRPC request. */
export async function inferOnce(ctx: ServeContext, request: ModelInferRequest, trace?: TraceHeaders): Promise<Answer<ModelInferResponse>> {
  const startNs = nowNs();
  const target = checkTarget(ctx, request.model_name, request.model_version || undefined);
  if (target !== undefined) return refused(target);
  const state = ctx.engine.state;
  const decoded = decodeInferRequest(request, state.status === 'ready' ? state.rawInputs : NO_RAW_INPUTS);
  const failed = (problem: Problem): Answer<never> => {
    recordFailure(ctx, startNs, problem, 'grpc', trace);
    return refused(problem);
  };
  if (!decoded.ok) return failed({ kind: 'BadRequest', message: decoded.message });
  const { outputs: requested } = decoded.value;
  const result = await infer(
    ctx,
    decoded.value.inputs,
    requested?.map((output) => output.name),
  );
  // Read only when traced: the compute span ends here.
  const inferredNs = ctx.tracing === undefined ? 0 : nowNs();
  if (!result.ok) return failed(result.problem);
  // The engine answered, so it is ready: its labels and signature are there.
  const ready = readyState(ctx);
  const classified = applyClassification(result.outputs, requested, ready.labels, ready.signature.batchable);
  if (!classified.ok) return failed({ kind: 'BadRequest', message: classified.message });
  const { modelName, modelVersion } = ctx.config;
  const encoded = encodeOutputs(classified.outputs, requested, decoded.value.raw);
  recordSuccess(ctx, startNs, result.timing, 'grpc', trace, inferredNs);
  return answered({ model_name: modelName, model_version: modelVersion, id: request.id, ...encoded });
}

/** inferOnce, counted as active (drain waits for it) and in flight; an unexpected error becomes INTERNAL. */
async function answerInfer(
  ctx: ServeContext,
  request: ModelInferRequest,
  trace: TraceHeaders | undefined,
): Promise<Answer<ModelInferResponse>> {
  ctx.lifecycle.active++;
  ctx.metrics.inflight(1);
  try {
    return await inferOnce(ctx, request, trace);
  } catch (error) {
    ctx.log('error', 'gRPC inference failed', { error: error instanceof Error ? error.stack : String(error) });
    return refused({ kind: 'Internal', message: 'internal server error' });
  } finally {
    ctx.lifecycle.active--;
    ctx.metrics.inflight(-1);
  }
}

/** Bidirectional streaming: each request is answered as soon as it completes, with its id; errors travel in-band. */
function streamInfer(ctx: ServeContext) {
  return (call: ServerDuplexStream<ModelInferRequest, unknown>): void => {
    let pending = 0;
    let ended = false;
    const trace = traceHeaders(ctx, call.metadata);
    const finishIfDone = () => {
      if (ended && pending === 0) call.end();
    };
    call.on('data', (request: ModelInferRequest) => {
      pending++;
      void answerInfer(ctx, request, trace).then((result) => {
        pending--;
        if (!call.cancelled) call.write(result.ok ? { infer_response: result.value } : { error_message: result.problem.message });
        finishIfDone();
      });
    });
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
  };
}

/** The call's metadata as trace headers, read only when tracing is on (W3C values are ASCII, never binary). */
function traceHeaders(ctx: ServeContext, metadata: Metadata): TraceHeaders | undefined {
  return ctx.tracing === undefined ? undefined : (metadata.getMap() as TraceHeaders);
}

/** Whether the server takes inference now: loaded, and not shutting down. */
export function serving(ctx: ServeContext): boolean {
  return !ctx.lifecycle.draining && unavailable(ctx) === undefined;
}

/** The handlers of `inference.GRPCInferenceService`; repository, shared-memory, trace and log RPCs answer UNIMPLEMENTED. */
export function inferenceService(ctx: ServeContext): UntypedServiceImplementation {
  const { modelName, modelVersion } = ctx.config;
  return {
    ServerLive: unary(() => answered({ live: true })),
    ServerReady: unary(() => answered({ ready: serving(ctx) })),
    ModelReady: unary((request: TargetRequest) => {
      const target = checkTarget(ctx, request.name, request.version || undefined);
      return target === undefined ? answered({ ready: unavailable(ctx) === undefined }) : refused(target);
    }),
    ServerMetadata: unary(() => answered({ name: 'kubeinfer', version: '0.1.0', extensions: SERVER_EXTENSIONS })),
    ModelMetadata: unary((request: TargetRequest) => whenLoaded(ctx, request, () => modelMetadata(configOptions(ctx), signature(ctx)))),
    ModelConfig: unary((request: TargetRequest) =>
      whenLoaded(ctx, request, () => ({ config: modelConfig(configOptions(ctx), signature(ctx)) })),
    ),
    ModelStatistics: unary((request: TargetRequest) => {
      const target = request.name === '' ? undefined : checkTarget(ctx, request.name, request.version || undefined);
      return target === undefined ? answered({ model_stats: [ctx.statistics.toJson(modelName, modelVersion)] }) : refused(target);
    }),
    ModelInfer: (call: ServerUnaryCall<ModelInferRequest, ModelInferResponse>, callback: sendUnaryData<ModelInferResponse>) => {
      void answerInfer(ctx, call.request, traceHeaders(ctx, call.metadata)).then((result) => {
        if (result.ok) callback(null, result.value);
        else callback(statusOf(result.problem));
      });
    },
    ModelStreamInfer: streamInfer(ctx),
  };
}
