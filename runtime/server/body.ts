// Reads a request body into one Buffer within the size limit, inflating gzip, deflate and
// br bodies. Leaner than a generic body parser on the inference hot path: no content-type
// negotiation, and a declared oversize body is refused before any of it is read.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Problem } from './problems.ts';

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly problem: Problem };

function tooLarge(limit: number, length?: number): BodyResult {
  const size = length === undefined ? '' : ` (${length} bytes)`;
  return { ok: false, problem: { kind: 'TooLarge', message: `the request body${size} is over the limit of ${limit} bytes (--max-request-bytes / KUBEINFER_MAX_REQUEST_BYTES)` } };
}

function decoded(req: IncomingMessage): Readable | BodyResult {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity': return req;
    case 'gzip': case 'x-gzip': return req.pipe(createGunzip());
    case 'deflate': return req.pipe(createInflate());
    case 'br': return req.pipe(createBrotliDecompress());
    default: return { ok: false, problem: { kind: 'UnsupportedEncoding', message: `unsupported content encoding "${encoding}"; use gzip, deflate, br or identity` } };
  }
}

/** Collects the (decoded) body; answers TooLarge as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve(tooLarge(limit, declared));
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
      if (size > limit) {
        finish(tooLarge(limit));
        stream.pause();
      } else {
        chunks.push(chunk);
      }
    });
    stream.once('end', () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    stream.once('error', (error) => finish({ ok: false, problem: { kind: 'BadRequest', message: `cannot read the request body: ${error.message}` } }));
  });
}
