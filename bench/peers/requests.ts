// The batch-1 request every server gets, in each encoding (V2 JSON, V2 binary extension, gRPC
// raw contents), and the check that a server's answer is the model's.
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import type { RequestShape } from './load.ts';

export interface Requests {
  readonly json: RequestShape;
  readonly binary: RequestShape;
  readonly grpc: Record<string, unknown>;
}

/** A V2 JSON body: `values` as input 'input' [rows, n] of `datatype`. */
export function jsonBody(values: Float32Array, rows = 1, datatype: 'FP32' | 'FP16' = 'FP32'): Buffer {
  const shape = [rows, values.length / rows];
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape, datatype, data: Array.from(values) }] }));
}

/** One row of FP32 `values` as input 'input' [1, n] of model 'm', in each encoding. */
export function requestsFor(values: Float32Array): Requests {
  const shape = [1, values.length];
  const datatype = 'FP32';
  const raw = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', shape, datatype, parameters: { binary_data_size: raw.length } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    json: { body: jsonBody(values), headers: { 'Content-Type': 'application/json' } },
    binary: { body: Buffer.concat([header, raw]), headers: { 'Inference-Header-Content-Length': header.length } },
    grpc: { model_name: 'm', inputs: [{ name: 'input', datatype, shape }], raw_input_contents: [raw] },
  };
}

/** The model's first output for `values` [rows, n], from onnxruntime in this process. */
export async function expectedOutput(modelPath: string, values: Float32Array, rows = 1): Promise<Float32Array> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', values, [rows, values.length / rows]) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** POSTs a V2 JSON body to `url`'s model 'm'; the first output's data, or why there is none. */
export async function inferJson(url: string, body: Buffer): Promise<{ data: number[] } | { problem: string }> {
  const res = await fetch(`${url}/v2/models/m/infer`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) return { problem: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  const data = (JSON.parse(text) as { outputs?: { data?: number[] }[] }).outputs?.[0]?.data;
  return Array.isArray(data) ? { data: data.flat(8) } : { problem: `no outputs[0].data in ${text.slice(0, 200)}` };
}

/** Undefined when `url` answers `json` with `expected` (within float32 rounding), else what differs. */
export async function wrongAnswer(url: string, json: Buffer, expected: Float32Array): Promise<string | undefined> {
  const answer = await inferJson(url, json);
  if ('problem' in answer) return answer.problem;
  if (answer.data.length !== expected.length) return `${answer.data.length} output values, expected ${expected.length}`;
  const worst = answer.data.findIndex((value, i) => Math.abs(value - expected[i]!) > 1e-4 * (1 + Math.abs(expected[i]!)));
  return worst < 0 ? undefined : `output[${worst}] is ${answer.data[worst]}, expected ${expected[worst]}`;
}
