// The V2 inference endpoint itself, on plain node:http objects: the listener calls it
// directly for canonical URLs (skipping express's router on the hot path), and the express
// route calls it for every other spelling, so both answer identically.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type BodyLimits } from './body.ts';
import { applyClassification } from './classification.ts';
import { checkTarget, type ServeContext } from './context.ts';
import { encodeInferResponse } from './infer-response.ts';
import { countInFlight, failInference, infer, recordSuccess } from './inference.ts';
import { clip } from '../engine/quote.ts';
import { nowNs } from '../engine/clock.ts';
import { sendProblem, type Problem } from './problems.ts';

const CANONICAL = /^\/v2\/models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/infer(?:\?.*)?$/;

/** Model and version of a canonical `POST /v2/models/{m}[/versions/{v}]/infer` URL, or undefined. */
export function inferTarget(url: string): { model: string; version: string | undefined } | undefined {
  const match = CANONICAL.exec(url);
  if (match === null) return undefined;
  try {
    return { model: decodeURIComponent(match[1]!), version: match[2] === undefined ? undefined : decodeURIComponent(match[2]) };
  } catch {
    return undefined; // malformed percent-encoding: express answers it
  }
}

const JSON_LIMIT_HINT =
  '--max-json-bytes / KUBEINFER_MAX_JSON_BYTES; send large tensors with the binary tensor data extension (Inference-Header-Content-Length)';

/** Size limits for a body: JSON (V2 without the binary extension, and V1) is held to the JSON limit. */
export function bodyLimits(ctx: ServeContext, binary: boolean): BodyLimits {
  const { maxJsonBytes, maxRequestBytes } = ctx.config;
  const requestLimit = { maxBytes: maxRequestBytes, limitHint: '--max-request-bytes / KUBEINFER_MAX_REQUEST_BYTES', budget: ctx.budget };
  if (binary || maxRequestBytes <= maxJsonBytes) return requestLimit;
  return { maxBytes: maxJsonBytes, limitHint: JSON_LIMIT_HINT, budget: ctx.budget };
}

/** 413 for a binary request whose JSON header alone is over the JSON limit. */
function jsonHeaderTooLarge(ctx: ServeContext, header: string | undefined): Problem | undefined {
  if (header === undefined || !(Number(header) > ctx.config.maxJsonBytes)) return undefined;
  return {
    kind: 'TooLarge',
    message: `the JSON header (${clip(header)} bytes) is over the limit of ${ctx.config.maxJsonBytes} bytes (${JSON_LIMIT_HINT})`,
  };
}

/** Answers one V2 inference request for `model` (and `version`, when the URL names one). */
export async function handleInfer(
  ctx: ServeContext,
  req: IncomingMessage,
  res: ServerResponse,
  startNs: number,
  model: string | undefined,
  version: string | undefined,
): Promise<void> {
  const target = checkTarget(ctx, model, version);
  if (target !== undefined) return sendProblem(res, target);
  const rawHeader = req.headers['inference-header-content-length'];
  const header = Array.isArray(rawHeader) ? rawHeader[0] : rawHeader;
  const headerProblem = jsonHeaderTooLarge(ctx, header);
  if (headerProblem !== undefined) return failInference(ctx, res, startNs, headerProblem);
  const body = await readBody(req, res, bodyLimits(ctx, header !== undefined));
  if (!body.ok) return failInference(ctx, res, startNs, body.problem);
  if (body.body.length === 0) {
    return failInference(ctx, res, startNs, { kind: 'BadRequest', message: 'the request body is empty; expected a V2 inference request' });
  }
  countInFlight(ctx, res);
  const state = ctx.engine.state;
  const parsed = await ctx.jsonDecoder.parse(body.body, header, state.status === 'ready' ? state.rawInputs : undefined);
  if (!parsed.ok) return failInference(ctx, res, startNs, { kind: 'BadRequest', message: parsed.message });
  const request = parsed.value;
  const result = await infer(
    ctx,
    request.inputs,
    request.outputs?.map((output) => output.name),
  );
  // Read only when traced: the compute span ends here.
  const inferredNs = ctx.tracing === undefined ? 0 : nowNs();
  if (!result.ok) return failInference(ctx, res, startNs, result.problem);
  // The engine answered, so it is ready: its labels and signature are there.
  const ready = ctx.engine.state as Extract<typeof state, { status: 'ready' }>;
  const classified = applyClassification(result.outputs, request.outputs, ready.labels, ready.signature.batchable);
  if (!classified.ok) return failInference(ctx, res, startNs, { kind: 'BadRequest', message: classified.message });
  const encoded = encodeInferResponse({ name: ctx.config.modelName, version: ctx.config.modelVersion }, request, classified.outputs);
  res.writeHead(200, encoded.headers);
  // One write: separate small writes can wait on delayed ACKs; cork gathers the chunks into one writev.
  res.cork();
  for (const chunk of encoded.chunks) res.write(chunk);
  res.end();
  recordSuccess(ctx, startNs, result.timing, 'rest', req.headers, inferredNs);
}
