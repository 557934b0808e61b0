// Tensors as the engine passes them between HTTP codecs and workers, and the two batch
// operations dynamic batching needs: concatenate along the first dimension, split it back.
import { DATATYPES, type Datatype, type NumericData, type TensorData } from './datatypes.ts';

export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Product of a shape's dimensions (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** Concatenates same-typed tensors along dimension 0 into freshly allocated storage. */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const rows = parts.reduce((sum, part) => sum + part.shape[0]!, 0);
  const shape = [rows, ...first.shape.slice(1)];
  if (first.datatype === 'BYTES') {
    return { ...first, shape, data: parts.flatMap((part) => part.data as readonly string[]) };
  }
  const array = DATATYPES[first.datatype].array!;
  const data = new array(elementCount(shape));
  let offset = 0;
  for (const part of parts) {
    (data as Uint8Array).set(part.data as Uint8Array, offset);
    offset += part.data.length;
  }
  return { ...first, shape, data };
}

/** Rows [start, start + rows) of a tensor along dimension 0, as a view without copying. */
export function sliceBatch(tensor: Tensor, start: number, rows: number): Tensor {
  const rowSize = elementCount(tensor.shape.slice(1));
  const shape = [rows, ...tensor.shape.slice(1)];
  const from = start * rowSize;
  const to = from + rows * rowSize;
  const data = Array.isArray(tensor.data)
    ? (tensor.data as readonly string[]).slice(from, to)
    : (tensor.data as NumericData).subarray(from, to);
  return { ...tensor, shape, data };
}

/** Typed array over its own whole ArrayBuffer, so it can be transferred to a worker safely. */
export function ownsBuffer(data: TensorData): data is NumericData {
  return (
    !Array.isArray(data) &&
    (data as NumericData).byteOffset === 0 &&
    (data as NumericData).byteLength === (data as NumericData).buffer.byteLength &&
    !((data as NumericData).buffer instanceof SharedArrayBuffer)
  );
}

/**
 * Below this size a buffer is copied to or from a worker, not transferred: detaching and
 * re-attaching costs more than copying a few KiB (bench/serve-tuning.ts, batch-1 tensors
 * copied: 1.4-2x req/s on the tiny model and 1.1-1.2x on the MLP at concurrency 1-64).
 */
export const TRANSFER_MIN_BYTES = 64 * 1024;

/** The buffers to transfer with a message carrying these tensors: large ones owning their buffer. */
export function transferList(tensors: readonly Tensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const tensor of tensors)
    if (ownsBuffer(tensor.data) && tensor.data.byteLength >= TRANSFER_MIN_BYTES) buffers.add(tensor.data.buffer as ArrayBuffer);
  return [...buffers];
}
