// Large JSON inference requests are parsed and decoded on a thread of their own: JSON.parse
// of tens of megabytes holds a thread for seconds, and on the main thread that would stall
// health checks and every other request. Small bodies are parsed in place, where a thread
// hop would cost more than the parse. Decoded tensors come back by transfer, not copy.
import { Worker } from 'node:worker_threads';
import { ownsBuffer } from '../engine/tensor.ts';
import { parseInferRequest, type InferRequest, type Parsed } from './infer-request.ts';

/** Bodies at most this large are parsed on the main thread (well under a millisecond). */
export const INLINE_JSON_BYTES = 64 * 1024;

const WORKER_URL = new URL('./json-decoder-worker.ts', import.meta.url);

export interface DecodeJob {
  readonly id: number;
  readonly body: Uint8Array;
  readonly headerLength: string | undefined;
  /** BYTES inputs that carry raw bytes (images), as parseInferRequest takes them. */
  readonly rawBytes: ReadonlySet<string> | undefined;
}

export interface DecodeReply {
  readonly id: number;
  readonly parsed: Parsed<InferRequest>;
}

type Pending = (parsed: Parsed<InferRequest>) => void;

/** The buffers of decoded numeric inputs, to move to the receiving thread without a copy. */
export function transferables(parsed: Parsed<InferRequest>): ArrayBuffer[] {
  if (!parsed.ok) return [];
  return parsed.value.inputs.flatMap((tensor) => (ownsBuffer(tensor.data) ? [tensor.data.buffer as ArrayBuffer] : []));
}

/** Parses V2 request bodies, off the main thread when they are large. */
export class JsonDecoder {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  /** The parsed request, or a message naming what is wrong with it. */
  parse(body: Uint8Array, headerLength: string | undefined, rawBytes?: ReadonlySet<string>): Promise<Parsed<InferRequest>> {
    const jsonBytes = headerLength === undefined ? body.length : Number(headerLength);
    if (!(jsonBytes > INLINE_JSON_BYTES)) return Promise.resolve(parseInferRequest(body, headerLength, rawBytes));
    const id = this.#nextId++;
    // A copy the worker can own: the body may share its buffer with other requests' bytes.
    const owned = new Uint8Array(body);
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#thread().postMessage({ id, body: owned, headerLength, rawBytes } satisfies DecodeJob, [owned.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_URL);
    worker.on('message', (reply: DecodeReply) => {
      this.#pending.get(reply.id)?.(reply.parsed);
      this.#pending.delete(reply.id);
    });
    // A decoder that dies (out of memory on a hostile body) fails what it held; the next request starts a new one.
    worker.once('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const resolve of this.#pending.values())
        resolve({ ok: false, message: `the JSON decoder stopped (exit code ${code}) while decoding this request` });
      this.#pending.clear();
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
