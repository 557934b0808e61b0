// Tensors in gRPC messages: an input's data comes either in its typed `contents` field or,
// as Triton's clients send by default, in `raw_input_contents` (the binary extension's bytes:
// little-endian elements, BYTES as 4-byte length prefixes). Validation and its messages are
// the REST codec's, so both protocols refuse the same request with the same words.
import { isDatatype, type Datatype, type TensorData } from '../engine/datatypes.ts';
import { elementCount, type Tensor } from '../engine/tensor.ts';
import { decodeBinaryData, encodeBinaryData } from '../server/binary.ts';
import { readShape, unknownDatatype, type Parsed } from '../server/infer-request.ts';
import { decodeJsonData, plainValues } from '../server/json-tensors.ts';
import type { InferInputTensor, InferOutputTensor, InferParameter, ModelInferRequest, TensorContents } from './protocol.ts';

/** The typed contents field for each datatype; FP16 (like BF16) has none and travels raw only. */
export const CONTENTS_FIELD: Readonly<Partial<Record<string, keyof TensorContents>>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const utf8 = new TextDecoder('utf-8');
// Inputs the model takes as raw bytes (an image step's encoded files) keep every byte, as latin1.
const latin1 = new TextDecoder('latin1');
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

export interface RequestedOutput {
  readonly name: string;
  /** Triton's classification extension: the top-k classes instead of the tensor. */
  readonly classification: number | undefined;
}

export interface DecodedRequest {
  readonly inputs: readonly Tensor[];
  /** The requested outputs in answer order; undefined means every output. */
  readonly outputs: readonly RequestedOutput[] | undefined;
  /** Whether the inputs came as raw_input_contents (the answer then uses raw_output_contents). */
  readonly raw: boolean;
}

function filledFields(contents: TensorContents | null): (keyof TensorContents)[] {
  if (contents === null) return [];
  return (Object.keys(contents) as (keyof TensorContents)[]).filter((field) => (contents[field]?.length ?? 0) > 0);
}

/** Decodes one input's typed contents into the datatype's storage. */
function decodeContents(input: InferInputTensor, datatype: Datatype, expected: number, rawBytes: boolean): Parsed<TensorData> {
  const field = CONTENTS_FIELD[datatype];
  if (field === undefined)
    return fail(`input '${input.name}' is ${datatype}, which has no typed contents field; send it in raw_input_contents`);
  const stray = filledFields(input.contents).find((other) => other !== field);
  if (stray !== undefined)
    return fail(`input '${input.name}' is ${datatype} and carries its data in contents.${field}, not contents.${stray}`);
  const values = (input.contents?.[field] ?? []) as readonly unknown[];
  if (datatype === 'INT64' || datatype === 'UINT64') {
    if (values.length !== expected) return fail(`input '${input.name}' has ${values.length} data elements but its shape needs ${expected}`);
    const wide = (values as readonly string[]).map((value) => BigInt(value));
    return { ok: true, value: datatype === 'INT64' ? BigInt64Array.from(wide) : BigUint64Array.from(wide) };
  }
  const text = rawBytes ? latin1 : utf8;
  const plain = datatype === 'BYTES' ? (values as readonly Uint8Array[]).map((bytes) => text.decode(bytes)) : values;
  const decoded = decodeJsonData(input.name, datatype, 1, expected, plain);
  return decoded.ok ? { ok: true, value: decoded.data } : decoded;
}

function decodeInput(input: InferInputTensor, raw: Uint8Array | undefined, rawBytes: boolean): Parsed<Tensor> {
  const { name, datatype } = input;
  if (!isDatatype(datatype)) return fail(unknownDatatype(name, datatype));
  const shape = readShape(name, input.shape.map(Number));
  if (!shape.ok) return shape;
  const expected = elementCount(shape.value);
  if (raw === undefined) {
    const data = decodeContents(input, datatype, expected, rawBytes);
    return data.ok ? { ok: true, value: { name, datatype, shape: shape.value, data: data.value } } : data;
  }
  if (filledFields(input.contents).length > 0) return fail(`input '${name}' has both contents and raw_input_contents; give one`);
  const decoded = decodeBinaryData(name, datatype, expected, raw, rawBytes);
  return decoded.ok ? { ok: true, value: { name, datatype, shape: shape.value, data: decoded.data } } : decoded;
}

/** The `classification` output parameter (an int64 k), checked as REST checks it. */
function classificationOf(name: string, parameter: InferParameter | undefined): Parsed<number | undefined> {
  if (parameter === undefined) return { ok: true, value: undefined };
  const count =
    parameter.parameter_choice === 'int64_param' || parameter.parameter_choice === 'uint64_param'
      ? Number(parameter[parameter.parameter_choice])
      : NaN;
  if (!(Number.isSafeInteger(count) && count > 0)) {
    return fail(
      `output '${name}' parameters.classification must be a positive integer (the number of classes to return), got ${JSON.stringify(parameter[parameter.parameter_choice as keyof InferParameter] ?? null)}`,
    );
  }
  return { ok: true, value: count };
}

/**
 * Decodes a ModelInferRequest's inputs and requested outputs; a problem comes back as REST words it.
 * `rawInputs` names the BYTES inputs the model takes as raw bytes.
 */
export function decodeInferRequest(request: ModelInferRequest, rawInputs: ReadonlySet<string>): Parsed<DecodedRequest> {
  const raw = request.raw_input_contents.length > 0;
  if (raw && request.raw_input_contents.length !== request.inputs.length) {
    return fail(
      `the request has ${request.raw_input_contents.length} raw_input_contents but ${request.inputs.length} inputs; with raw_input_contents, every input's data is there, in input order`,
    );
  }
  const inputs: Tensor[] = [];
  for (const [index, input] of request.inputs.entries()) {
    const decoded = decodeInput(input, raw ? request.raw_input_contents[index] : undefined, rawInputs.has(input.name));
    if (!decoded.ok) return decoded;
    inputs.push(decoded.value);
  }
  const outputs: RequestedOutput[] = [];
  for (const output of request.outputs) {
    const classification = classificationOf(output.name, output.parameters.classification);
    if (!classification.ok) return classification;
    outputs.push({ name: output.name, classification: classification.value });
  }
  return { ok: true, value: { inputs, outputs: outputs.length === 0 ? undefined : outputs, raw } };
}

function typedContents(tensor: Tensor): TensorContents {
  const field = CONTENTS_FIELD[tensor.datatype]!;
  switch (tensor.datatype) {
    case 'INT64':
    case 'UINT64':
      return { [field]: Array.from(tensor.data as BigInt64Array, String) };
    case 'BYTES':
      return { [field]: (tensor.data as readonly string[]).map((value) => Buffer.from(value, 'utf8')) };
    default:
      return { [field]: plainValues(tensor.datatype, tensor.data) };
  }
}

/**
 * The outputs of a ModelInferResponse, ordered as requested. Raw (as Triton always answers)
 * unless the request itself used typed contents and every output has a typed field.
 */
export function encodeOutputs(
  tensors: readonly Tensor[],
  requested: readonly RequestedOutput[] | undefined,
  raw: boolean,
): { outputs: InferOutputTensor[]; raw_output_contents: Uint8Array[] } {
  const ordered = requested === undefined ? tensors : requested.map((output) => tensors.find((tensor) => tensor.name === output.name)!);
  const asRaw = raw || ordered.some((tensor) => CONTENTS_FIELD[tensor.datatype] === undefined);
  const outputs = ordered.map((tensor): InferOutputTensor => {
    const head = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
    return asRaw ? head : { ...head, contents: typedContents(tensor) };
  });
  return { outputs, raw_output_contents: asRaw ? ordered.map((tensor) => encodeBinaryData(tensor.data)) : [] };
}
