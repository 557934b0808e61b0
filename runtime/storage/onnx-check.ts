// What fetch-model publishes must be an ONNX model, not whatever a URI
// answered with (a JSON error page, a proxy's block page, a metadata
// document). A full parse would need the whole file in memory; the head is
// enough to tell a ModelProto from anything else: ONNX writers serialize
// fields in number order, so a model starts with ir_version (field 1, varint),
// and every top-level field in the head must be a ModelProto field of the
// right wire type.
import { open } from 'node:fs/promises';
import { fail, ok, type Result } from './errors.ts';

const HEAD_BYTES = 64 * 1024;
const VARINT = 0;
const LENGTH_DELIMITED = 2;
/** ModelProto's fields (onnx.proto3) and their wire types. */
const MODEL_PROTO_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, VARINT],
  [2, LENGTH_DELIMITED],
  [3, LENGTH_DELIMITED],
  [4, LENGTH_DELIMITED],
  [5, VARINT],
  [6, LENGTH_DELIMITED],
  [7, LENGTH_DELIMITED],
  [8, LENGTH_DELIMITED],
  [14, LENGTH_DELIMITED],
  [20, LENGTH_DELIMITED],
  [25, LENGTH_DELIMITED],
  [26, LENGTH_DELIMITED],
]);

/** Checks that the file starts like a serialized ONNX ModelProto; `label` names it in the reason. */
export async function checkOnnxModelFile(file: string, label: string): Promise<Result<void>> {
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return fail({ kind: 'Io', reason: `reading ${file}: ${(error as Error).message}` });
  }
  const problem = modelProtoProblem(head);
  return problem === undefined ? ok(undefined) : fail({ kind: 'NotAModel', reason: `${label} is not an ONNX model: ${problem}` });
}

/** Why these leading bytes are not a ModelProto, or undefined when they may be one. */
export function modelProtoProblem(head: Uint8Array): string | undefined {
  const [first] = head;
  if (first === undefined) return 'the file is empty';
  if (first !== 0x08)
    return `it does not start with ir_version (first byte 0x${first.toString(16).padStart(2, '0')}${describeStart(first)})`;
  let offset = 0;
  while (offset < head.length) {
    const tag = readVarint(head, offset);
    if (tag === undefined) return undefined; // the head ends inside a tag: nothing wrong so far
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (MODEL_PROTO_FIELDS.get(field) !== wireType)
      return `byte ${offset} holds field ${field} with wire type ${wireType}, which a ModelProto does not have`;
    const value = readVarint(head, tag.next);
    if (value === undefined) return undefined;
    offset = wireType === VARINT ? value.next : value.next + Number(value.value);
  }
  return undefined;
}

function describeStart(byte: number): string {
  if (byte === 0x7b || byte === 0x5b) return ', which starts JSON';
  if (byte === 0x3c) return ', which starts HTML or XML';
  return '';
}

function readVarint(bytes: Uint8Array, start: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  // At most ten bytes: a varint longer than 64 bits is not one.
  for (const [offset, byte] of bytes.subarray(start, start + 10).entries()) {
    value |= BigInt(byte & 0x7f) << BigInt(7 * offset);
    if ((byte & 0x80) === 0) return { value, next: start + offset + 1 };
  }
  return undefined;
}
