// Reads a request body into one Buffer within the size limit and the shared body budget,
// inflating gzip, deflate and br bodies. Leaner than a generic body parser on the inference
// hot path: no content-type negotiation, and a declared oversize body (or one the budget
// cannot take) is refused before any of it is read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { BodyBudget } from './admission.ts';
import type { Problem } from './problems.ts';

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly problem: Problem };

/** How much of what a request may send: its own size limit and the budget shared by all. */
export interface BodyLimits {
  readonly maxBytes: number;
  /** Why the limit is what it is, for the 413 message (the flag, and what to do instead). */
  readonly limitHint: string;
  readonly budget: BodyBudget;
}

function tooLarge(limits: BodyLimits, length?: number): BodyResult {
  const size = length === undefined ? '' : ` (${length} bytes)`;
  return {
    ok: false,
    problem: { kind: 'TooLarge', message: `the request body${size} is over the limit of ${limits.maxBytes} bytes (${limits.limitHint})` },
  };
}

function overBudget(budget: BodyBudget): BodyResult {
  const message = `request bodies in flight already use ${budget.inUse} of ${budget.capacity} bytes (--max-body-bytes-in-flight / KUBEINFER_MAX_BODY_BYTES_IN_FLIGHT); retry later`;
  return { ok: false, problem: { kind: 'QueueFull', message } };
}

/** Charges the body's bytes to the budget as they become known; all are given back when the response closes. */
function budgetCharge(budget: BodyBudget, res: ServerResponse): (total: number) => boolean {
  let charged = 0;
  res.once('close', () => budget.give(charged));
  return (total) => {
    if (total <= charged) return true;
    if (!budget.take(total - charged)) return false;
    charged = total;
    return true;
  };
}

function decoded(req: IncomingMessage): Readable | BodyResult {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      return {
        ok: false,
        problem: { kind: 'UnsupportedEncoding', message: `unsupported content encoding "${encoding}"; use gzip, deflate, br or identity` },
      };
  }
}

/** Collects the (decoded) body; answers TooLarge past the size limit and QueueFull past the budget. */
export function readBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<BodyResult> {
  const limit = limits.maxBytes;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve(tooLarge(limits, declared));
  const charge = budgetCharge(limits.budget, res);
  if (declared > 0 && !charge(declared)) return Promise.resolve(overBudget(limits.budget));
  const stream = decoded(req);
  if (!('read' in stream)) return Promise.resolve(stream);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      stream.removeAllListeners('data');
      resolve(result);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit || !charge(size)) {
        finish(size > limit ? tooLarge(limits) : overBudget(limits.budget));
        stream.pause();
      } else {
        chunks.push(chunk);
      }
    });
    stream.once('end', () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    stream.once('error', (error) =>
      finish({ ok: false, problem: { kind: 'BadRequest', message: `cannot read the request body: ${error.message}` } }),
    );
  });
}
