// Tensor data in JSON: `data` arrays (flat or nested, row-major) to typed storage, and
// typed storage back to JSON text. 64-bit integers are written with every digit.
import { DATATYPES, type Datatype, type TensorData } from '../engine/datatypes.ts';
import { halfToNumber, numberToHalf } from './fp16.ts';

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
const text: Convert = (value) => (typeof value === 'string' ? value : undefined);

function converter(datatype: Datatype): Convert {
  switch (datatype) {
    case 'FP32': case 'FP64': return number;
    case 'FP16': return half;
    case 'BOOL': return bool;
    case 'BYTES': return text;
    default: return integer(datatype);
  }
}

function describe(value: unknown): string {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}

/** Flattens a JSON `data` value and converts it to the datatype's storage, checking each element. */
export function decodeJsonData(name: string, datatype: Datatype, expected: number, data: unknown): Decoded {
  if (!Array.isArray(data)) return { ok: false, message: `input '${name}' data must be an array` };
  const flat: readonly unknown[] = data.some(Array.isArray) ? data.flat(Infinity) : data;
  if (flat.length !== expected) {
    return { ok: false, message: `input '${name}' has ${flat.length} data elements but its shape needs ${expected}` };
  }
  const convert = converter(datatype);
  const array = DATATYPES[datatype].array;
  const out: TensorData = array === undefined ? new Array<string>(expected) : new array(expected);
  // One writable view over either storage: converters already produce the element's JS type.
  const target = out as unknown as (number | bigint | string)[];
  for (let i = 0; i < expected; i++) {
    const value = convert(flat[i]);
    if (value === undefined) {
      return { ok: false, message: `input '${name}' element ${i} is ${describe(flat[i])}, not a valid ${datatype} value` };
    }
    target[i] = value;
  }
  return { ok: true, data: out };
}

/** The JSON text of a tensor's data as a flat array. */
export function jsonDataText(datatype: Datatype, data: TensorData): string {
  switch (datatype) {
    case 'INT64': case 'UINT64': return `[${(data as BigInt64Array).join(',')}]`;
    case 'FP16': return JSON.stringify(Array.from(data as Uint16Array, halfToNumber));
    case 'BOOL': return JSON.stringify(Array.from(data as Uint8Array, (v) => v !== 0));
    default: return JSON.stringify(Array.isArray(data) ? data : Array.from(data as Float32Array));
  }
}

/** Tensor data as plain JSON values (numbers, booleans, strings), for V1 predictions. */
export function plainValues(datatype: Datatype, data: TensorData): (number | boolean | string)[] {
  switch (datatype) {
    case 'INT64': case 'UINT64': return Array.from(data as BigInt64Array, Number);
    case 'FP16': return Array.from(data as Uint16Array, halfToNumber);
    case 'BOOL': return Array.from(data as Uint8Array, (v) => v !== 0);
    case 'BYTES': return [...(data as readonly string[])];
    default: return Array.from(data as Float32Array);
  }
}

/** JSON carries raw BYTES (images) as base64; they travel on as latin1 strings, one character per byte. */
export function rawFromBase64(data: readonly string[]): string[] {
  return data.map((text) => Buffer.from(text, 'base64').toString('latin1'));
}
