// Large JSON inference requests are parsed and decoded, and large JSON responses written, on a
// thread of their own: JSON.parse of tens of megabytes holds a thread for seconds, and writing
// a million numbers as text about a quarter of one; on the main thread that would stall health
// checks and every other request. Small bodies and answers stay on the main thread, where a
// thread hop would cost more than the work. Decoded tensors and encoded answers come back by
// transfer, not copy.
import { Worker } from 'node:worker_threads';
import { ownsBuffer, type Tensor } from '../engine/tensor.ts';
import { parseInferRequest, type InferRequest, type Parsed } from './infer-request.ts';
import { encodeInferResponse, jsonElementCount, type EncodedResponse, type ServedModel } from './infer-response.ts';

/** Bodies at most this large are parsed on the main thread (well under a millisecond). */
export const INLINE_JSON_BYTES = 64 * 1024;
/** Answers with at most this many elements written as JSON text are encoded on the main thread (about a millisecond). */
export const INLINE_JSON_ELEMENTS = 4096;

const WORKER_URL = new URL('./json-codec-worker.ts', import.meta.url);

export interface DecodeJob {
  readonly kind: 'decode';
  readonly id: number;
  readonly body: Uint8Array;
  readonly headerLength: string | undefined;
  /** BYTES inputs that carry raw bytes (images), as parseInferRequest takes them. */
  readonly rawBytes: ReadonlySet<string> | undefined;
}

export interface EncodeJob {
  readonly kind: 'encode';
  readonly id: number;
  readonly model: ServedModel;
  /** The request without its inputs: what the answer's layout depends on. */
  readonly request: InferRequest;
  readonly outputs: readonly Tensor[];
}

export interface DecodeReply {
  readonly id: number;
  readonly parsed: Parsed<InferRequest>;
}

export interface EncodeReply {
  readonly id: number;
  readonly encoded: EncodedResponse;
}

export type CodecReply = DecodeReply | EncodeReply;

/** A reply, or (a string) why the thread could not give one. */
type Pending = (reply: CodecReply | string) => void;

/** The buffers of decoded numeric inputs, to move to the receiving thread without a copy. */
export function transferables(parsed: Parsed<InferRequest>): ArrayBuffer[] {
  if (!parsed.ok) return [];
  return parsed.value.inputs.flatMap((tensor) => (ownsBuffer(tensor.data) ? [tensor.data.buffer as ArrayBuffer] : []));
}

/** The encoded answer's chunks that own their memory, to move without a copy. */
export function chunkTransferables(encoded: EncodedResponse): ArrayBuffer[] {
  return encoded.chunks.flatMap((chunk) => (ownsBuffer(chunk) ? [chunk.buffer as ArrayBuffer] : []));
}

/** Parses V2 request bodies and encodes V2 answers, off the main thread when they are large. */
export class JsonCodec {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  /** The parsed request, or a message naming what is wrong with it. */
  parse(body: Uint8Array, headerLength: string | undefined, rawBytes?: ReadonlySet<string>): Promise<Parsed<InferRequest>> {
    const jsonBytes = headerLength === undefined ? body.length : Number(headerLength);
    if (!(jsonBytes > INLINE_JSON_BYTES)) return Promise.resolve(parseInferRequest(body, headerLength, rawBytes));
    // A copy the worker can own: the body may share its buffer with other requests' bytes.
    const owned = new Uint8Array(body);
    return this.#call<DecodeReply>((id) => ({ kind: 'decode', id, body: owned, headerLength, rawBytes }), [owned.buffer]).then((reply) =>
      typeof reply === 'string' ? { ok: false, message: `${reply} while decoding this request` } : reply.parsed,
    );
  }

  /** The answer to `request` from the model's outputs; fails only when the encoding thread stops. */
  encode(model: ServedModel, request: InferRequest, outputs: readonly Tensor[]): Promise<Parsed<EncodedResponse>> {
    if (!(jsonElementCount(request, outputs) > INLINE_JSON_ELEMENTS)) {
      return Promise.resolve({ ok: true, value: encodeInferResponse(model, request, outputs) });
    }
    // Outputs are copied, not transferred: a batched request's outputs are views of one shared buffer.
    const layout: InferRequest = { ...request, inputs: [] };
    return this.#call<EncodeReply>((id) => ({ kind: 'encode', id, model, request: layout, outputs }), []).then((reply) =>
      typeof reply === 'string' ? { ok: false, message: `${reply} while encoding the answer` } : { ok: true, value: reply.encoded },
    );
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #call<Reply extends CodecReply>(job: (id: number) => DecodeJob | EncodeJob, transfer: ArrayBuffer[]): Promise<Reply | string> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as Pending);
      this.#thread().postMessage(job(id), transfer);
    });
  }

  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(WORKER_URL);
    worker.on('message', (reply: CodecReply) => {
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
    // A codec thread that dies (out of memory on a hostile body) fails what it held; the next request starts a new one.
    worker.once('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const resolve of this.#pending.values()) resolve(`the JSON thread stopped (exit code ${code})`);
      this.#pending.clear();
    });
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}
