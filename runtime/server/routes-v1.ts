// The V1 protocol: GET /v1/models/{m} and POST /v1/models/{m}:predict.
import express, { type RequestHandler } from 'express';
import { readBody } from './body.ts';
import { applyClassification } from './classification.ts';
import { checkTarget, unavailable, type ServeContext } from './context.ts';
import { bodyLimits } from './infer-v2.ts';
import { jsonText } from './json-tensors.ts';
import { countInFlight, failInference, infer, recordSuccess } from './inference.ts';
import { clip } from '../engine/quote.ts';
import { sendJson, sendProblem } from './problems.ts';
import { instancesToInputs, outputsToPredictions } from './v1-codec.ts';

function predictHandler(ctx: ServeContext): RequestHandler<{ target: string }> {
  return async (req, res) => {
    const startNs = res.locals.startNs as number;
    const separator = req.params.target.lastIndexOf(':');
    const [model, verb] =
      separator < 0 ? [req.params.target, ''] : [req.params.target.slice(0, separator), req.params.target.slice(separator + 1)];
    const target = checkTarget(ctx, model, undefined);
    if (target !== undefined) return sendProblem(res, target);
    if (verb !== 'predict')
      return sendProblem(res, { kind: 'NotFound', message: `unknown V1 verb '${clip(verb)}'; use POST /v1/models/${model}:predict` });
    // Checked once, before the body is read: a model that has loaded stays loaded.
    const state = ctx.engine.state;
    if (state.status !== 'ready') return failInference(ctx, res, startNs, unavailable(ctx)!);
    const raw = await readBody(req, res, bodyLimits(ctx, false));
    if (!raw.ok) return failInference(ctx, res, startNs, raw.problem);
    countInFlight(ctx, res);
    let body: unknown;
    try {
      body = JSON.parse(raw.body.toString('utf8'));
    } catch (error) {
      return failInference(ctx, res, startNs, {
        kind: 'BadRequest',
        message: `the request's JSON is malformed: ${(error as Error).message}`,
      });
    }
    const inputs = instancesToInputs(state.signature, body, state.rawInputs);
    if (!inputs.ok) return failInference(ctx, res, startNs, { kind: 'BadRequest', message: inputs.message });
    const classification = classificationOf(body);
    if (typeof classification === 'string') return failInference(ctx, res, startNs, { kind: 'BadRequest', message: classification });
    const result = await infer(ctx, inputs.value, undefined);
    if (!result.ok) return failInference(ctx, res, startNs, result.problem);
    const requested = classification === undefined ? undefined : result.outputs.map((tensor) => ({ name: tensor.name, classification }));
    const classified = applyClassification(result.outputs, requested, state.labels, state.signature.batchable);
    if (!classified.ok) return failInference(ctx, res, startNs, { kind: 'BadRequest', message: classified.message });
    const text = Buffer.from(jsonText({ predictions: outputsToPredictions(classified.outputs) }));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': text.length }).end(text);
    recordSuccess(ctx, startNs, result.timing, 'rest');
  };
}

/**
 * V1's form of the classification extension: `{"instances": [...], "parameters": {"classification": k}}`
 * answers every output as its top-k "<score>:<index>[:<label>]" strings per instance.
 */
function classificationOf(body: unknown): number | undefined | string {
  const parameters = (body as { parameters?: unknown }).parameters;
  if (parameters === undefined) return undefined;
  const count =
    typeof parameters === 'object' && parameters !== null ? (parameters as { classification?: unknown }).classification : undefined;
  if (count === undefined) return undefined;
  return Number.isSafeInteger(count) && (count as number) > 0
    ? (count as number)
    : `parameters.classification must be a positive integer (the number of classes to return), got ${JSON.stringify(count)}`;
}

/** Registers the V1 routes. */
export function v1Routes(ctx: ServeContext): express.Router {
  const router = express.Router();
  router.get('/v1/models/:model', (req, res) => {
    const target = checkTarget(ctx, req.params.model, undefined);
    if (target !== undefined) return sendProblem(res, target);
    const problem = unavailable(ctx);
    sendJson(res, { name: ctx.config.modelName, ready: problem === undefined }, problem === undefined ? 200 : 503);
  });
  router.post('/v1/models/:target', predictHandler(ctx));
  return router;
}
