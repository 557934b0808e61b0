// The binary tensor data extension: raw little-endian element bytes after the JSON header,
// BYTES elements as a 4-byte little-endian length followed by the bytes.
import { DATATYPES, type Datatype, type NumericData, type TensorData } from '../engine/datatypes.ts';
import type { Decoded } from './json-tensors.ts';
import { clip } from '../engine/quote.ts';

/** Text of one BYTES element, or undefined when the bytes cannot be that text. */
type StringDecoder = (bytes: Uint8Array) => string | undefined;
// Fatal: ONNX Runtime takes string tensors as text, so invalid UTF-8 could only reach the
// model rewritten (U+FFFD); it is refused instead of silently changed.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8: StringDecoder = (bytes) => {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
};
// Node's latin1 maps every byte to one character and back: raw bytes (images) survive as strings.
const latin1: StringDecoder = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
const encoder = new TextEncoder();

function decodeStrings(name: string, expected: number, bytes: Uint8Array, decode: StringDecoder): Decoded {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const strings: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length)
      return { ok: false, message: `input '${clip(name)}' BYTES data ends inside a 4-byte length prefix at byte ${offset}` };
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.length) {
      return {
        ok: false,
        message: `input '${clip(name)}' BYTES element ${strings.length} claims ${length} bytes but only ${bytes.length - offset} remain`,
      };
    }
    const text = decode(bytes.subarray(offset, offset + length));
    if (text === undefined)
      return {
        ok: false,
        message: `input '${clip(name)}' BYTES element ${strings.length} is not valid UTF-8; this server passes BYTES to the model as text`,
      };
    strings.push(text);
    offset += length;
  }
  if (strings.length !== expected) {
    return { ok: false, message: `input '${clip(name)}' has ${strings.length} BYTES elements but its shape needs ${expected}` };
  }
  return { ok: true, data: strings };
}

/** Decodes one input's binary blob into aligned storage of its datatype (one copy); `raw` BYTES stay byte for byte. */
export function decodeBinaryData(name: string, datatype: Datatype, expected: number, bytes: Uint8Array, raw = false): Decoded {
  const { size, array } = DATATYPES[datatype];
  if (array === undefined) return decodeStrings(name, expected, bytes, raw ? latin1 : utf8);
  if (bytes.length !== expected * size) {
    return {
      ok: false,
      message: `input '${clip(name)}' has ${bytes.length} bytes of binary data but its shape needs ${expected} ${datatype} elements (${expected * size} bytes)`,
    };
  }
  // A fresh buffer: the body's bytes may be unaligned for the element type, and an owned
  // buffer can be transferred to a worker without copying again.
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return { ok: true, data: new array(buffer) };
}

/** The wire bytes of a tensor's data; numeric data is a view, not a copy. */
export function encodeBinaryData(data: TensorData): Uint8Array {
  if (!Array.isArray(data)) {
    const numeric = data as NumericData;
    return new Uint8Array(numeric.buffer, numeric.byteOffset, numeric.byteLength);
  }
  const encoded = (data as readonly string[]).map((value) => encoder.encode(value));
  const out = new Uint8Array(encoded.reduce((sum, bytes) => sum + 4 + bytes.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const bytes of encoded) {
    view.setUint32(offset, bytes.length, true);
    out.set(bytes, offset + 4);
    offset += 4 + bytes.length;
  }
  return out;
}
