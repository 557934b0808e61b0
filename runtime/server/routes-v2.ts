// The Open Inference Protocol (KServe V2) REST surface plus Triton's model configuration
// and statistics extensions. Model routes answer with or without /versions/{v}.
import express, { type Request, type RequestHandler, type Response } from 'express';
import { checkTarget, configOptions, unavailable, type ServeContext } from './context.ts';
import { handleInfer } from './infer-v2.ts';
import { modelConfig, modelMetadata } from './model-config.ts';
import { sendJson, sendProblem } from './problems.ts';

const MODEL = '/v2/models/:model{/versions/:version}';

export const SERVER_EXTENSIONS = ['binary_tensor_data', 'classification', 'model_configuration', 'statistics'] as const;

type Params = { model?: string; version?: string };

/** Answers the target problem (unknown model or version) and returns false, or returns true. */
function targeted(ctx: ServeContext, req: Request<Params>, res: Response): boolean {
  const problem = checkTarget(ctx, req.params.model, req.params.version);
  if (problem !== undefined) sendProblem(res, problem);
  return problem === undefined;
}

function statsHandler(ctx: ServeContext): RequestHandler<Params> {
  return (req, res) => {
    if (req.params.model !== undefined && !targeted(ctx, req, res)) return;
    sendJson(res, { model_stats: [ctx.statistics.toJson(ctx.config.modelName, ctx.config.modelVersion)] });
  };
}

/** Readiness: the model is loaded and warmed up, and the server is not shutting down. */
function readyHandler(ctx: ServeContext): RequestHandler {
  return (_req, res) => {
    const problem = unavailable(ctx);
    if (ctx.lifecycle.draining) sendJson(res, { ready: false, reason: 'the server is shutting down' }, 503);
    else if (problem !== undefined) sendJson(res, { ready: false, reason: problem.message }, 503);
    else sendJson(res, { ready: true });
  };
}

/** Registers the V2 routes. */
export function v2Routes(ctx: ServeContext): express.Router {
  const router = express.Router();
  const whenLoaded =
    (answer: (res: Response) => void): RequestHandler<Params> =>
    (req, res) => {
      if (!targeted(ctx, req, res)) return;
      const problem = unavailable(ctx);
      if (problem !== undefined) sendProblem(res, problem);
      else answer(res);
    };
  const signature = () => (ctx.engine.state as Extract<typeof ctx.engine.state, { status: 'ready' }>).signature;

  router.get('/v2/health/live', (_req, res) => sendJson(res, { live: true }));
  router.get('/v2/health/ready', readyHandler(ctx));
  router.get('/v2', (_req, res) => sendJson(res, { name: 'kubeinfer', version: '0.1.0', extensions: SERVER_EXTENSIONS }));
  router.get('/v2/models/stats', statsHandler(ctx));
  router.get(
    MODEL,
    whenLoaded((res) => sendJson(res, modelMetadata(configOptions(ctx), signature()))),
  );
  router.get(`${MODEL}/ready`, (req: Request<Params>, res) => {
    if (!targeted(ctx, req, res)) return;
    const problem = unavailable(ctx);
    const name = ctx.config.modelName;
    if (problem === undefined) sendJson(res, { name, version: ctx.config.modelVersion, ready: true });
    else sendJson(res, { name, version: ctx.config.modelVersion, ready: false, error: problem.message }, 503);
  });
  router.get(
    `${MODEL}/config`,
    whenLoaded((res) => sendJson(res, modelConfig(configOptions(ctx), signature()))),
  );
  router.get(`${MODEL}/stats`, statsHandler(ctx));
  // Canonical URLs reach handleInfer without express (see app.ts); this catches other spellings.
  router.post(`${MODEL}/infer`, (req: Request<Params>, res) =>
    handleInfer(ctx, req, res, res.locals.startNs as number, req.params.model, req.params.version),
  );
  return router;
}
