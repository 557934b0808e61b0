// Triton's classification extension: an output requested with `classification: k` comes
// back as BYTES "<score>:<index>" (or "<score>:<index>:<label>") strings, the k highest
// scores per batch row, exactly as Triton's server writes them so that tritonclient's
// `class_count` reads them unchanged.
import type { Datatype, NumericData } from '../engine/datatypes.ts';
import { elementCount, type Tensor } from '../engine/tensor.ts';

export type Classified = { readonly ok: true; readonly tensor: Tensor } | { readonly ok: false; readonly message: string };

/** Types Triton classifies; FP16, BOOL and BYTES are refused with Triton's own message. */
const CLASSIFIABLE: ReadonlySet<Datatype> = new Set<Datatype>([
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP32',
  'FP64',
]);

const DECIMALS = 6n;
const SCALE = 10n ** DECIMALS;

/**
 * C's "%f" (what std::to_string(float|double) prints): six decimals, rounded half to even
 * on the exact binary value. JavaScript's toFixed rounds exact ties up (0.0078125 ->
 * "0.007813" where C prints "0.007812"), so the digits are computed with BigInt instead.
 */
export function formatFixed6(value: number): string {
  if (Number.isNaN(value)) return hasSignBit(value) ? '-nan' : 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa, exponent] = decompose(Math.abs(value));
  let units: bigint;
  if (exponent >= 0) {
    units = (mantissa << BigInt(exponent)) * SCALE;
  } else {
    const shift = BigInt(-exponent);
    const scaled = mantissa * SCALE;
    units = scaled >> shift;
    const remainder2 = (scaled - (units << shift)) << 1n;
    const half = 1n << shift;
    if (remainder2 > half || (remainder2 === half && (units & 1n) === 1n)) units += 1n;
  }
  const whole = units / SCALE;
  const fraction = (units % SCALE).toString().padStart(Number(DECIMALS), '0');
  return `${sign}${whole}.${fraction}`;
}

function hasSignBit(value: number): boolean {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return (view.getUint8(0) & 0x80) !== 0;
}

/** A positive finite double as mantissa * 2^exponent with an integer mantissa. */
function decompose(value: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0 ? [fraction, -1074] : [fraction | (1n << 52n), biased - 1075];
}

function scoreText(datatype: Datatype, score: number | bigint): string {
  return datatype === 'FP32' || datatype === 'FP64' ? formatFixed6(score as number) : String(score);
}

/**
 * Top-k of one row as Triton's strings. Triton sorts with std::sort on ">"; ties keep the
 * lower index first (what libstdc++'s sort does for the class counts classifiers have).
 */
function topOfRow(datatype: Datatype, row: NumericData, count: number, labels: readonly string[]): string[] {
  const order = Array.from({ length: row.length }, (_, index) => index);
  order.sort((a, b) => {
    const [x, y] = [row[a]!, row[b]!];
    return x > y ? -1 : x < y ? 1 : a - b;
  });
  return order.slice(0, Math.min(count, row.length)).map((index) => {
    const text = `${scoreText(datatype, row[index]!)}:${index}`;
    // Triton appends nothing for an index past the labels or an empty label line.
    const label = labels[index];
    return label === undefined || label === '' ? text : `${text}:${label}`;
  });
}

/**
 * Replaces an output by its top-`count` classes. With `batched`, each row along the first
 * dimension is classified on its own and the shape is [rows, min(k, classes)]; otherwise the
 * whole tensor is one row, as Triton does for a model without a batch dimension.
 */
export function classify(tensor: Tensor, count: number, labels: readonly string[], batched: boolean): Classified {
  if (!CLASSIFIABLE.has(tensor.datatype)) {
    return { ok: false, message: `class result not available for output '${tensor.name}' due to unsupported type '${tensor.datatype}'` };
  }
  const data = tensor.data as NumericData;
  const rows = batched && tensor.shape.length > 0 ? tensor.shape[0]! : 1;
  const rowSize = batched && tensor.shape.length > 0 ? elementCount(tensor.shape.slice(1)) : data.length;
  const strings: string[] = [];
  for (let row = 0; row < rows; row++) {
    strings.push(...topOfRow(tensor.datatype, data.subarray(row * rowSize, (row + 1) * rowSize), count, labels));
  }
  const k = Math.min(count, rowSize);
  const shape = batched && tensor.shape.length > 0 ? [rows, k] : [k];
  return { ok: true, tensor: { name: tensor.name, datatype: 'BYTES', shape, data: strings } };
}

export type ClassifiedOutputs =
  | { readonly ok: true; readonly outputs: readonly Tensor[] }
  | { readonly ok: false; readonly message: string };

/** Replaces every output that asks for `classification: k` by its top-k classes. */
export function applyClassification(
  outputs: readonly Tensor[],
  requested: readonly { readonly name: string; readonly classification: number | undefined }[] | undefined,
  labels: readonly string[],
  batched: boolean,
): ClassifiedOutputs {
  if (requested === undefined || requested.every((output) => output.classification === undefined)) return { ok: true, outputs };
  const result: Tensor[] = [];
  for (const tensor of outputs) {
    const count = requested.find((output) => output.name === tensor.name)?.classification;
    if (count === undefined) {
      result.push(tensor);
      continue;
    }
    const classified = classify(tensor, count, labels, batched);
    if (!classified.ok) return classified;
    result.push(classified.tensor);
  }
  return { ok: true, outputs: result };
}
