// A ready-to-paste curl (and grpcurl) for the model being served, built from its V2 metadata
// so it works for any model: dynamic dimensions become 1, data is a simple ramp.
import { PROTO_DIR } from '../grpc/protocol.ts';
import { CONTENTS_FIELD } from '../grpc/tensors.ts';

/** The parts of V2 model metadata the example needs. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

const MAX_EXAMPLE_ELEMENTS = 64;

/** A V2 infer request body for `inputs`, or undefined when an input is too big to type. */
export function exampleInferBody(inputs: readonly TensorMetadata[]): string | undefined {
  const tensors = [];
  for (const input of inputs) {
    const shape = input.shape.map((dim) => (dim < 0 ? 1 : dim));
    const count = shape.reduce((a, b) => a * b, 1);
    if (count > MAX_EXAMPLE_ELEMENTS) return undefined;
    tensors.push({
      name: input.name,
      shape,
      datatype: input.datatype,
      data: Array.from({ length: count }, (_, i) => exampleValue(input.datatype, i)),
    });
  }
  return JSON.stringify({ inputs: tensors });
}

function exampleValue(datatype: string, i: number): number | boolean | string {
  if (datatype === 'BOOL') return i % 2 === 0;
  if (datatype === 'BYTES') return `text ${i + 1}`;
  return i + 1;
}

/** The curl lines `kubeinfer run` prints: weighted infer, pinned infer, or metadata when too big. */
export function curlExamples(baseUrl: string, model: string, pinVersion: string, inputs: readonly TensorMetadata[]): readonly string[] {
  const body = exampleInferBody(inputs);
  if (body === undefined) {
    return [`curl -s ${baseUrl}/v2/models/${model}          # metadata: the inputs are too large to type here`];
  }
  const post = (path: string) => `curl -s ${baseUrl}${path} -H 'content-type: application/json' -d '${body}'`;
  return [post(`/v2/models/${model}/infer`), post(`/v2/models/${model}/versions/${pinVersion}/infer`)];
}

/** A grpcurl ModelInfer call (typed contents), or ModelMetadata when the inputs are too large to type. */
export function grpcurlExample(port: number, model: string, inputs: readonly TensorMetadata[]): string {
  const call = (method: string, request: unknown) =>
    `grpcurl -plaintext -import-path ${PROTO_DIR} -proto grpc_service.proto -d '${JSON.stringify(request)}' 127.0.0.1:${port} inference.GRPCInferenceService/${method}`;
  const body = exampleInferBody(inputs);
  // grpcurl wants BYTES as base64 and FP16 has no typed field: such models get the metadata call.
  const typable = inputs.every((input) => CONTENTS_FIELD[input.datatype] !== undefined && input.datatype !== 'BYTES');
  if (body === undefined || !typable) return call('ModelMetadata', { name: model });
  const tensors = (JSON.parse(body) as { inputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[] }).inputs.map(
    (tensor) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
      contents: { [CONTENTS_FIELD[tensor.datatype]!]: tensor.data },
    }),
  );
  return call('ModelInfer', { model_name: model, inputs: tensors });
}

/** Reads input metadata from a running runtime. */
export async function fetchInputs(runtimeUrl: string, model: string): Promise<readonly TensorMetadata[]> {
  const response = await fetch(`${runtimeUrl}/v2/models/${encodeURIComponent(model)}`);
  if (!response.ok) throw new Error(`model metadata: HTTP ${response.status}`);
  const metadata = (await response.json()) as { inputs?: TensorMetadata[] };
  return metadata.inputs ?? [];
}
