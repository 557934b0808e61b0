// Tensors in gRPC messages: an input's data comes either in its typed `contents` field or,
// as Triton's clients send by default, in `raw_input_contents` (the binary extension's bytes:
// little-endian elements, BYTES as 4-byte length prefixes). Validation and its messages are
// the REST codec's, so both protocols refuse the same request with the same words.
import { isDatatype, type Datatype, type TensorData } from '../engine/datatypes.ts';
import { elementCount, type Tensor } from '../engine/tensor.ts';
import { decodeBinaryData, encodeBinaryData } from '../server/binary.ts';
import { readShape, unknownDatatype, unsupportedClassification, type Parsed } from '../server/infer-request.ts';
import { decodeJsonData, plainValues } from '../server/json-tensors.ts';
import type { InferInputTensor, InferOutputTensor, ModelInferRequest, TensorContents } from './protocol.ts';

/** The typed contents field for each datatype; FP16 (like BF16) has none and travels raw only. */
export const CONTENTS_FIELD: Readonly<Partial<Record<string, keyof TensorContents>>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

const utf8 = new TextDecoder('utf-8');
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

export interface DecodedRequest {
  readonly inputs: readonly Tensor[];
  /** The requested outputs in answer order; undefined means every output. */
  readonly outputs: readonly string[] | undefined;
  /** Whether the inputs came as raw_input_contents (the answer then uses raw_output_contents). */
  readonly raw: boolean;
}

function filledFields(contents: TensorContents | null): (keyof TensorContents)[] {
  if (contents === null) return [];
  return (Object.keys(contents) as (keyof TensorContents)[]).filter((field) => (contents[field]?.length ?? 0) > 0);
}

/** Decodes one input's typed contents into the datatype's storage. */
function decodeContents(input: InferInputTensor, datatype: Datatype, expected: number): Parsed<TensorData> {
  const field = CONTENTS_FIELD[datatype];
  if (field === undefined) return fail(`input '${input.name}' is ${datatype}, which has no typed contents field; send it in raw_input_contents`);
  const stray = filledFields(input.contents).find((other) => other !== field);
  if (stray !== undefined) return fail(`input '${input.name}' is ${datatype} and carries its data in contents.${field}, not contents.${stray}`);
  const values = (input.contents?.[field] ?? []) as readonly unknown[];
  if (datatype === 'INT64' || datatype === 'UINT64') {
    if (values.length !== expected) return fail(`input '${input.name}' has ${values.length} data elements but its shape needs ${expected}`);
    const wide = (values as readonly string[]).map((value) => BigInt(value));
    return { ok: true, value: datatype === 'INT64' ? BigInt64Array.from(wide) : BigUint64Array.from(wide) };
  }
  const plain = datatype === 'BYTES' ? (values as readonly Uint8Array[]).map((bytes) => utf8.decode(bytes)) : values;
  const decoded = decodeJsonData(input.name, datatype, expected, plain);
  return decoded.ok ? { ok: true, value: decoded.data } : decoded;
}

function decodeInput(input: InferInputTensor, raw: Uint8Array | undefined): Parsed<Tensor> {
  const { name, datatype } = input;
  if (!isDatatype(datatype)) return fail(unknownDatatype(name, datatype));
  const shape = readShape(name, input.shape.map(Number));
  if (!shape.ok) return shape;
  const expected = elementCount(shape.value);
  if (raw === undefined) {
    const data = decodeContents(input, datatype, expected);
    return data.ok ? { ok: true, value: { name, datatype, shape: shape.value, data: data.value } } : data;
  }
  if (filledFields(input.contents).length > 0) return fail(`input '${name}' has both contents and raw_input_contents; give one`);
  const decoded = decodeBinaryData(name, datatype, expected, raw);
  return decoded.ok ? { ok: true, value: { name, datatype, shape: shape.value, data: decoded.data } } : decoded;
}

/** Decodes a ModelInferRequest's inputs and requested outputs; a problem comes back as REST words it. */
export function decodeInferRequest(request: ModelInferRequest): Parsed<DecodedRequest> {
  const raw = request.raw_input_contents.length > 0;
  if (raw && request.raw_input_contents.length !== request.inputs.length) {
    return fail(`the request has ${request.raw_input_contents.length} raw_input_contents but ${request.inputs.length} inputs; with raw_input_contents, every input's data is there, in input order`);
  }
  const inputs: Tensor[] = [];
  for (const [index, input] of request.inputs.entries()) {
    const decoded = decodeInput(input, raw ? request.raw_input_contents[index] : undefined);
    if (!decoded.ok) return decoded;
    inputs.push(decoded.value);
  }
  for (const output of request.outputs) {
    if (output.parameters.classification !== undefined) return fail(unsupportedClassification(output.name));
  }
  const outputs = request.outputs.length === 0 ? undefined : request.outputs.map((output) => output.name);
  return { ok: true, value: { inputs, outputs, raw } };
}

function typedContents(tensor: Tensor): TensorContents {
  const field = CONTENTS_FIELD[tensor.datatype]!;
  switch (tensor.datatype) {
    case 'INT64': case 'UINT64': return { [field]: Array.from(tensor.data as BigInt64Array, String) };
    case 'BYTES': return { [field]: (tensor.data as readonly string[]).map((value) => Buffer.from(value, 'utf8')) };
    default: return { [field]: plainValues(tensor.datatype, tensor.data) };
  }
}

/**
 * The outputs of a ModelInferResponse, ordered as requested. Raw (as Triton always answers)
 * unless the request itself used typed contents and every output has a typed field.
 */
export function encodeOutputs(tensors: readonly Tensor[], requested: readonly string[] | undefined, raw: boolean): { outputs: InferOutputTensor[]; raw_output_contents: Uint8Array[] } {
  const ordered = requested === undefined ? tensors : requested.map((name) => tensors.find((tensor) => tensor.name === name)!);
  const asRaw = raw || ordered.some((tensor) => CONTENTS_FIELD[tensor.datatype] === undefined);
  const outputs = ordered.map((tensor): InferOutputTensor => {
    const head = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
    return asRaw ? head : { ...head, contents: typedContents(tensor) };
  });
  return { outputs, raw_output_contents: asRaw ? ordered.map((tensor) => encodeBinaryData(tensor.data)) : [] };
}
