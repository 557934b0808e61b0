// The express application: lifecycle bookkeeping, the V2 and V1 routes, /metrics, and JSON
// answers for unknown routes and unexpected errors.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { ServeContext } from './context.ts';
import { nowNs } from './inference.ts';
import { sendProblem } from './problems.ts';
import { v1Routes } from './routes-v1.ts';
import { v2Routes } from './routes-v2.ts';

const INFERENCE_PATH = /^\/v2\/models\/.+\/infer$|^\/v1\/models\/[^/]+:predict$/;

/** Counts active requests for draining and in-flight inference for metrics; closes connections while draining. */
function lifecycle(ctx: ServeContext): RequestHandler {
  return (req, res, next) => {
    res.locals.startNs = nowNs();
    ctx.lifecycle.active++;
    const inference = req.method === 'POST' && INFERENCE_PATH.test(req.path);
    if (inference) ctx.metrics.inflight(1);
    if (ctx.lifecycle.draining) res.setHeader('Connection', 'close');
    res.once('close', () => {
      ctx.lifecycle.active--;
      if (inference) ctx.metrics.inflight(-1);
    });
    next();
  };
}

function errorHandler(ctx: ServeContext): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    ctx.log('error', 'request failed', { error: error instanceof Error ? error.stack : String(error) });
    sendProblem(res, { kind: 'Internal', message: 'internal server error' });
  };
}

/** Builds the HTTP application for one served model. */
export function createApp(ctx: ServeContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(lifecycle(ctx));
  app.use(v2Routes(ctx));
  app.use(v1Routes(ctx));
  app.get('/metrics', async (_req, res) => {
    const text = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType }).end(text);
  });
  app.use((req, res) => sendProblem(res, { kind: 'NotFound', message: `no route for ${req.method} ${req.path}` }));
  app.use(errorHandler(ctx));
  return app;
}
