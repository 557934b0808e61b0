// Tensor data in JSON: `data` arrays (flat or nested, row-major) to typed storage, and
// typed storage back to JSON text. 64-bit integers are written with every digit; NaN and
// infinities are written as the bare tokens NaN, Infinity and -Infinity, as Triton does
// (Python's json reads them; a strict JSON parser refuses them rather than seeing a false null).
import { DATATYPES, type Datatype, type TensorData } from '../engine/datatypes.ts';
import { halfToNumber, numberToHalf } from './fp16.ts';
import { clip, quoted } from '../engine/quote.ts';

/** Most dimensions a tensor may have: also bounds how deep `data` may nest (a 200,000-deep array is a 400, not a stack overflow). */
export const MAX_RANK = 32;

export type Decoded = { readonly ok: true; readonly data: TensorData } | { readonly ok: false; readonly message: string };

type Convert = (value: unknown) => number | bigint | string | undefined;

function integer(datatype: Datatype): Convert {
  const [min, max] = DATATYPES[datatype].range!;
  const wide = datatype === 'INT64' || datatype === 'UINT64';
  const [low, high] = [Number(min), Number(max)];
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
    if (!wide) return value >= low && value <= high ? value : undefined;
    const big = BigInt(value);
    return big >= min && big <= max ? big : undefined;
  };
}

const number: Convert = (value) => (typeof value === 'number' ? value : undefined);
const half: Convert = (value) => (typeof value === 'number' ? numberToHalf(value) : undefined);
const bool: Convert = (value) => (value === true || value === 1 ? 1 : value === false || value === 0 ? 0 : undefined);
// A lone surrogate ("\ud800") has no UTF-8 form: the model would see it rewritten.
const text: Convert = (value) => (typeof value === 'string' && value.isWellFormed() ? value : undefined);

function converter(datatype: Datatype): Convert {
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return number;
    case 'FP16':
      return half;
    case 'BOOL':
      return bool;
    case 'BYTES':
      return text;
    default:
      return integer(datatype);
  }
}

/**
 * Flattens a JSON `data` value (flat, or nested no deeper than `rank` levels) and converts it
 * to the datatype's storage, checking each element.
 */
export function decodeJsonData(name: string, datatype: Datatype, rank: number, expected: number, data: unknown): Decoded {
  if (!Array.isArray(data)) return { ok: false, message: `input '${clip(name)}' data must be an array` };
  const flat: readonly unknown[] = data.some(Array.isArray) ? data.flat(Math.max(rank - 1, 0)) : data;
  if (flat.length !== expected) {
    return { ok: false, message: `input '${clip(name)}' has ${flat.length} data elements but its shape needs ${expected}` };
  }
  const convert = converter(datatype);
  const array = DATATYPES[datatype].array;
  const out: TensorData = array === undefined ? new Array<string>(expected) : new array(expected);
  // One writable view over either storage: converters already produce the element's JS type.
  const target = out as unknown as (number | bigint | string)[];
  for (let i = 0; i < expected; i++) {
    const value = convert(flat[i]);
    if (value === undefined) {
      const why = Array.isArray(flat[i])
        ? `nested deeper than its ${rank}-dimensional shape`
        : `not a valid ${datatype} value${datatype === 'BYTES' ? ' (a string of well-formed Unicode)' : ''}`;
      return { ok: false, message: `input '${clip(name)}' element ${i} is ${quoted(flat[i])}, ${why}` };
    }
    target[i] = value;
  }
  return { ok: true, data: out };
}

/** JSON text of numbers; JSON.stringify would silently turn NaN and infinities into null. */
function numbersText(values: readonly number[]): string {
  const text = JSON.stringify(values);
  // Numbers alone: a null can only be a non-finite value, so the slow path is for those arrays
  // only. String() writes finite numbers exactly as JSON does, and NaN, Infinity, -Infinity.
  return text.includes('null') ? `[${values.map(String).join(',')}]` : text;
}

/** The JSON text of a tensor's data as a flat array. */
export function jsonDataText(datatype: Datatype, data: TensorData): string {
  switch (datatype) {
    case 'INT64':
    case 'UINT64':
      return `[${(data as BigInt64Array).join(',')}]`;
    case 'FP16':
      return numbersText(Array.from(data as Uint16Array, halfToNumber));
    case 'BOOL':
      return JSON.stringify(Array.from(data as Uint8Array, (v) => v !== 0));
    case 'BYTES':
      return JSON.stringify(data);
    default:
      return numbersText(Array.from(data as Float32Array));
  }
}

/** JSON text of any value, with NaN and infinities written as in tensor data (for V1 predictions). */
export function jsonText(value: unknown): string {
  const marked = JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'number' && !Number.isFinite(item) ? `\u0000${item}` : item,
  );
  return marked.replace(/"\\u0000(NaN|Infinity|-Infinity)"/g, '$1');
}

/** Tensor data as plain JSON values (numbers, booleans, strings), for V1 predictions. */
export function plainValues(datatype: Datatype, data: TensorData): (number | boolean | string)[] {
  switch (datatype) {
    case 'INT64':
    case 'UINT64':
      return Array.from(data as BigInt64Array, Number);
    case 'FP16':
      return Array.from(data as Uint16Array, halfToNumber);
    case 'BOOL':
      return Array.from(data as Uint8Array, (v) => v !== 0);
    case 'BYTES':
      return [...(data as readonly string[])];
    default:
      return Array.from(data as Float32Array);
  }
}

/** JSON carries raw BYTES (images) as base64; they travel on as latin1 strings, one character per byte. */
export function rawFromBase64(data: readonly string[]): string[] {
  return data.map((text) => Buffer.from(text, 'base64').toString('latin1'));
}
