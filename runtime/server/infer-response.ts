// Writes a V2 inference response: plain JSON, or with the binary tensor data extension a
// JSON header (its length in Inference-Header-Content-Length) followed by output blobs.
import type { Tensor } from '../engine/tensor.ts';
import { encodeBinaryData } from './binary.ts';
import type { InferRequest } from './infer-request.ts';
import { jsonDataText } from './json-tensors.ts';

export interface EncodedResponse {
  readonly headers: Readonly<Record<string, string | number>>;
  readonly chunks: readonly Uint8Array[];
}

export interface ServedModel {
  readonly name: string;
  readonly version: string;
}

/** Orders outputs as the request listed them (or as the model returned them) with their binary choice. */
function plan(request: InferRequest, outputs: readonly Tensor[]): { tensor: Tensor; binary: boolean }[] {
  if (request.outputs === undefined) return outputs.map((tensor) => ({ tensor, binary: request.binaryOutputs }));
  return request.outputs.map((wanted) => ({
    tensor: outputs.find((tensor) => tensor.name === wanted.name)!,
    binary: wanted.binary ?? request.binaryOutputs,
  }));
}

/** Elements the answer writes as JSON text (the outputs not sent as binary data): what encoding it costs. */
export function jsonElementCount(request: InferRequest, outputs: readonly Tensor[]): number {
  return plan(request, outputs).reduce((sum, { tensor, binary }) => (binary ? sum : sum + tensor.data.length), 0);
}

/** Encodes the response for `request` from the model's outputs. */
export function encodeInferResponse(model: ServedModel, request: InferRequest, outputs: readonly Tensor[]): EncodedResponse {
  const blobs: Uint8Array[] = [];
  const parts = plan(request, outputs).map(({ tensor, binary }) => {
    const head = `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`;
    if (!binary) return `${head},"data":${jsonDataText(tensor.datatype, tensor.data)}}`;
    const blob = encodeBinaryData(tensor.data);
    blobs.push(blob);
    return `${head},"parameters":{"binary_data_size":${blob.length}}}`;
  });
  const id = request.id === undefined ? '' : `,"id":${JSON.stringify(request.id)}`;
  const json = Buffer.from(
    `{"model_name":${JSON.stringify(model.name)},"model_version":${JSON.stringify(model.version)}${id},"outputs":[${parts.join(',')}]}`,
  );
  if (blobs.length === 0) {
    return { headers: { 'Content-Type': 'application/json', 'Content-Length': json.length }, chunks: [json] };
  }
  const length = blobs.reduce((sum, blob) => sum + blob.length, json.length);
  return {
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': json.length, 'Content-Length': length },
    chunks: [json, ...blobs],
  };
}
