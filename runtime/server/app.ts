// The express application: lifecycle bookkeeping, the raw body reader with its size limit,
// the V2 and V1 routes, /metrics, and JSON answers for unknown routes and body errors.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { ServeContext } from './context.ts';
import { nowNs } from './inference.ts';
import { sendProblem, type Problem } from './problems.ts';
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

function bodyProblem(ctx: ServeContext, error: { type?: string; status?: number; length?: number; message?: string }): Problem {
  switch (error.type) {
    case 'entity.too.large':
      return { kind: 'TooLarge', message: `the request body${error.length === undefined ? '' : ` (${error.length} bytes)`} is over the limit of ${ctx.config.maxRequestBytes} bytes (--max-request-bytes / KUBEINFER_MAX_REQUEST_BYTES)` };
    case 'encoding.unsupported':
      return { kind: 'UnsupportedEncoding', message: `${error.message}; use gzip, deflate, br or identity` };
    default:
      return { kind: 'BadRequest', message: `cannot read the request body: ${error.message}` };
  }
}

function errorHandler(ctx: ServeContext): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status = typeof error?.status === 'number' ? error.status : 500;
    if (status >= 400 && status < 500) return sendProblem(res, bodyProblem(ctx, error));
    ctx.log('error', 'request failed', { error: error instanceof Error ? error.stack : String(error) });
    sendProblem(res, { kind: 'Internal', message: 'internal server error' });
  };
}

/** Builds the HTTP application for one served model. */
export function createApp(ctx: ServeContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const body = express.raw({ type: () => true, limit: ctx.config.maxRequestBytes });
  app.use(lifecycle(ctx));
  app.use(v2Routes(ctx, body));
  app.use(v1Routes(ctx, body));
  app.get('/metrics', async (_req, res) => {
    const text = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType }).end(text);
  });
  app.use((req, res) => sendProblem(res, { kind: 'NotFound', message: `no route for ${req.method} ${req.path}` }));
  app.use(errorHandler(ctx));
  return app;
}
