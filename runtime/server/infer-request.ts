// Parses a V2 inference request: a JSON body, or (binary tensor data extension) a JSON
// header of Inference-Header-Content-Length bytes followed by the inputs' binary blobs.
import { isDatatype } from '../engine/datatypes.ts';
import { elementCount, type Tensor } from '../engine/tensor.ts';
import { decodeBinaryData } from './binary.ts';
import { decodeJsonData, MAX_RANK, rawFromBase64 } from './json-tensors.ts';
import { clip, quoted } from '../engine/quote.ts';

export interface RequestedOutput {
  readonly name: string;
  /** Per-output binary_data; undefined follows the request's binary_data_output. */
  readonly binary: boolean | undefined;
  /** Triton's classification extension: answer the top-k classes instead of the tensor. */
  readonly classification: number | undefined;
}

export interface InferRequest {
  readonly id: string | undefined;
  readonly inputs: readonly Tensor[];
  /** The requested subset, in the order to answer; undefined means every output. */
  readonly outputs: readonly RequestedOutput[] | undefined;
  readonly binaryOutputs: boolean;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

type JsonObject = Record<string, unknown>;

const NO_RAW_INPUTS: ReadonlySet<string> = new Set();

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** Splits the body at Inference-Header-Content-Length and parses the JSON header. */
function readHeader(body: Uint8Array, headerLength: string | undefined): Parsed<{ json: JsonObject; binary: Uint8Array }> {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    jsonEnd = Number(headerLength);
    if (!/^\d+$/.test(headerLength) || jsonEnd > body.length) {
      return fail(
        `Inference-Header-Content-Length is '${clip(headerLength)}' but must be a whole number of bytes no larger than the body (${body.length} bytes)`,
      );
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, jsonEnd).toString('utf8'));
  } catch (error) {
    const hint = headerLength === undefined ? '' : ` (the first ${jsonEnd} bytes, per Inference-Header-Content-Length)`;
    return fail(`the request's JSON${hint} is malformed: ${(error as Error).message}`);
  }
  if (!isObject(json)) return fail('the request body must be a JSON object with an "inputs" array');
  return { ok: true, value: { json, binary: body.subarray(jsonEnd) } };
}

/** The message for an input whose datatype is not one of the protocol's. */
export function unknownDatatype(name: string, datatype: unknown): string {
  return `input '${clip(name)}' has datatype ${quoted(datatype)}; expected one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES`;
}

/** Checks a decoded shape: every dimension a non-negative integer. */
export function readShape(name: string, shape: unknown): Parsed<number[]> {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    return fail(`input '${clip(name)}' shape must be an array of non-negative integers, got ${quoted(shape)}`);
  }
  if (shape.length > MAX_RANK) return fail(`input '${clip(name)}' shape has ${shape.length} dimensions; at most ${MAX_RANK} are supported`);
  return { ok: true, value: shape as number[] };
}

/** Decodes one input; `binary` is what remains of the binary section, `offset` where this input's blob starts. */
function readInput(
  raw: unknown,
  index: number,
  binary: Uint8Array,
  offset: number,
  rawBytes: ReadonlySet<string>,
): Parsed<{ tensor: Tensor; consumed: number }> {
  if (!isObject(raw) || typeof raw.name !== 'string') return fail(`inputs[${index}] must be an object with a string "name"`);
  const { name, datatype, parameters } = raw;
  if (!isDatatype(datatype)) return fail(unknownDatatype(name, datatype));
  const shape = readShape(name, raw.shape);
  if (!shape.ok) return shape;
  const expected = elementCount(shape.value);
  const binarySize = isObject(parameters) ? parameters.binary_data_size : undefined;
  if (binarySize === undefined) {
    if (!('data' in raw)) return fail(`input '${clip(name)}' has no "data" and no parameters.binary_data_size`);
    const decoded = decodeJsonData(name, datatype, shape.value.length, expected, raw.data);
    if (!decoded.ok) return decoded;
    const data = datatype === 'BYTES' && rawBytes.has(name) ? rawFromBase64(decoded.data as string[]) : decoded.data;
    return { ok: true, value: { tensor: { name, datatype, shape: shape.value, data }, consumed: 0 } };
  }
  if ('data' in raw) return fail(`input '${clip(name)}' has both "data" and parameters.binary_data_size; give one`);
  if (!Number.isSafeInteger(binarySize) || (binarySize as number) < 0)
    return fail(`input '${clip(name)}' binary_data_size must be a non-negative integer`);
  const size = binarySize as number;
  if (offset + size > binary.length) {
    return fail(`input '${clip(name)}' binary_data_size is ${size} but only ${binary.length - offset} bytes of binary data remain`);
  }
  const decoded = decodeBinaryData(name, datatype, expected, binary.subarray(offset, offset + size), rawBytes.has(name));
  return decoded.ok ? { ok: true, value: { tensor: { name, datatype, shape: shape.value, data: decoded.data }, consumed: size } } : decoded;
}

function readOutputs(raw: unknown): Parsed<RequestedOutput[] | undefined> {
  if (raw === undefined) return { ok: true, value: undefined };
  if (!Array.isArray(raw)) return fail('"outputs" must be an array');
  const outputs: RequestedOutput[] = [];
  for (const [index, entry] of raw.entries()) {
    if (!isObject(entry) || typeof entry.name !== 'string') return fail(`outputs[${index}] must be an object with a string "name"`);
    const parameters = isObject(entry.parameters) ? entry.parameters : {};
    const classification = parameters.classification;
    if (classification !== undefined && !(Number.isSafeInteger(classification) && (classification as number) > 0)) {
      return fail(
        `output '${clip(entry.name)}' parameters.classification must be a positive integer (the number of classes to return), got ${quoted(classification)}`,
      );
    }
    const binary = parameters.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean')
      return fail(`output '${clip(entry.name)}' parameters.binary_data must be a boolean`);
    outputs.push({ name: entry.name, binary, classification: classification as number | undefined });
  }
  return { ok: true, value: outputs };
}

/**
 * Parses and decodes a V2 infer request body; any problem comes back as a message naming it.
 * `rawBytes` names BYTES inputs that hold raw bytes (encoded images) rather than text.
 */
export function parseInferRequest(
  body: Uint8Array,
  headerLength: string | undefined,
  rawBytes: ReadonlySet<string> = NO_RAW_INPUTS,
): Parsed<InferRequest> {
  const header = readHeader(body, headerLength);
  if (!header.ok) return header;
  const { json, binary } = header.value;
  if (json.id !== undefined && typeof json.id !== 'string') return fail('"id" must be a string');
  if (!Array.isArray(json.inputs)) return fail('the request must have an "inputs" array');
  const inputs: Tensor[] = [];
  let offset = 0;
  for (const [index, raw] of json.inputs.entries()) {
    const input = readInput(raw, index, binary, offset, rawBytes);
    if (!input.ok) return input;
    inputs.push(input.value.tensor);
    offset += input.value.consumed;
  }
  if (offset !== binary.length) {
    return fail(`the body has ${binary.length} bytes of binary data but the inputs' binary_data_size add up to ${offset}`);
  }
  const outputs = readOutputs(json.outputs);
  if (!outputs.ok) return outputs;
  const parameters = isObject(json.parameters) ? json.parameters : {};
  const binaryOutputs = parameters.binary_data_output;
  if (binaryOutputs !== undefined && typeof binaryOutputs !== 'boolean') return fail('parameters.binary_data_output must be a boolean');
  return { ok: true, value: { id: json.id, inputs, outputs: outputs.value, binaryOutputs: binaryOutputs ?? false } };
}
