// The HTTP request listener: lifecycle bookkeeping for every request, canonical V2 inference
// URLs straight to their handler, everything else through the express application (V2 and
// V1 routes, /metrics, JSON answers for unknown routes and unexpected errors).
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { nowNs } from '../engine/clock.ts';
import type { ServeContext } from './context.ts';
import { handleInfer, inferTarget } from './infer-v2.ts';
import { sendDenied } from '../auth/guard.ts';
import { sendProblem } from './problems.ts';
import { v1Routes } from './routes-v1.ts';
import { v2Routes } from './routes-v2.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Counts active requests for draining; closes connections while draining so clients reconnect elsewhere. */
function track(ctx: ServeContext, res: ServerResponse): void {
  ctx.lifecycle.active++;
  if (ctx.lifecycle.draining) res.setHeader('Connection', 'close');
  res.once('close', () => ctx.lifecycle.active--);
}

/** Answers an unexpected error as 500 (or drops the connection when the answer has begun); every one is counted. */
function internalError(ctx: ServeContext, res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // express marks a URL it cannot decode (malformed percent-encoding) with status 400.
  if ((error as { status?: unknown } | undefined)?.status === 400) {
    sendProblem(res, { kind: 'BadRequest', message: `malformed request URL: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  ctx.log('error', 'request failed', { error: error instanceof Error ? error.stack : String(error) });
  ctx.metrics.requestFailed('Internal', 'rest');
  sendProblem(res, { kind: 'Internal', message: 'internal server error' });
}

/** Builds the express application for every route but canonical inference URLs. */
function createApp(ctx: ServeContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(v2Routes(ctx));
  app.use(v1Routes(ctx));
  app.get('/metrics', async (_req, res) => {
    const text = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType }).end(text);
  });
  app.use((req, res) => sendProblem(res, { kind: 'NotFound', message: `no route for ${req.method} ${req.path}` }));
  const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => internalError(ctx, res, error);
  app.use(errorHandler);
  return app;
}

/**
 * The server's request listener for one served model; with a guard, every route but health needs
 * a key, and /metrics a key with the scope `metrics` (what a Prometheus scrape job is given).
 */
export function createListener(ctx: ServeContext): Listener {
  const serve = createOpenListener(ctx);
  const guard = ctx.guard;
  if (guard === undefined) return serve;
  return (req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/v2/health/')) return serve(req, res);
    const path = url.split('?', 1)[0] ?? url;
    const access = path === '/metrics' ? { kind: 'metrics' as const, path } : { kind: 'infer' as const, pinsWeightZero: false };
    guard.check(req.headers, access).then(
      (decision) => {
        if (decision.allowed) return serve(req, res);
        req.resume();
        sendDenied(res, decision);
      },
      (error: unknown) => internalError(ctx, res, error),
    );
  };
}

function createOpenListener(ctx: ServeContext): Listener {
  const app = createApp(ctx);
  return (req, res) => {
    const startNs = nowNs();
    const url = req.url ?? '';
    // Express's router costs tens of microseconds a request; the inference endpoint needs none of it.
    const target = req.method === 'POST' ? inferTarget(url) : undefined;
    track(ctx, res);
    if (target === undefined) {
      (res as ServerResponse & { locals?: Record<string, unknown> }).locals = { startNs };
      app(req, res);
      return;
    }
    handleInfer(ctx, req, res, startNs, target.model, target.version).catch((error: unknown) => internalError(ctx, res, error));
  };
}
