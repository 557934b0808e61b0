// A fault in the router's request path costs that one request: a 500 (or a closed
// connection when the answer had begun) and a log line, never a request left hanging or an
// unhandled rejection that stops the router and every request in it.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The router's request handler; asynchronous paths (access checks) return their promise. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

type Log = (event: Readonly<Record<string, unknown>>) => void;

/** Wraps a handler so that a throw or a rejection answers 500 and is logged. */
export function guarded(handler: RequestHandler, log: Log): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      const pending = handler(req, res);
      if (pending) pending.catch((error: unknown) => failRequest(req, res, error, log));
    } catch (error) {
      failRequest(req, res, error, log);
    }
  };
}

function failRequest(req: IncomingMessage, res: ServerResponse, error: unknown, log: Log): void {
  log({
    level: 'error',
    msg: 'request failed inside the router',
    method: req.method,
    path: (req.url ?? '').split('?', 1)[0],
    error: error instanceof Error ? error.message : String(error),
  });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ error: 'the router failed on this request (see its log)' });
  res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
