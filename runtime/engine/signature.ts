// What a loaded model accepts and returns, in protocol terms (datatype names, -1 for a
// dynamic dimension), derived once from onnxruntime's session metadata.
import { datatypeFromOrt, type Datatype } from './datatypes.ts';

export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  /** Dimensions; -1 where the model leaves one dynamic (symbolic or unknown). */
  readonly shape: readonly number[];
  /** BYTES elements are raw bytes (encoded images): binary data is kept byte for byte, JSON data is base64. */
  readonly raw?: boolean;
}

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Every input and output has a dynamic first dimension: requests can be concatenated on it. */
  readonly batchable: boolean;
}

/** The subset of onnxruntime-node's ValueMetadata this module reads. */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

export type SignatureResult = { ok: true; value: ModelSignature } | { ok: false; message: string };

function specOf(meta: OrtValueMetadata, role: string): TensorSpec | string {
  if (!meta.isTensor || meta.type === undefined)
    return `${role} '${meta.name}' is not a tensor; only tensor inputs and outputs can be served`;
  const datatype = datatypeFromOrt(meta.type);
  if (datatype === undefined) return `${role} '${meta.name}' has element type ${meta.type}, which the Open Inference Protocol cannot carry`;
  const shape = (meta.shape ?? []).map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
  return { name: meta.name, datatype, shape };
}

/** Builds the protocol signature from session metadata, or says why the model cannot be served. */
export function signatureFromMetadata(inputs: readonly OrtValueMetadata[], outputs: readonly OrtValueMetadata[]): SignatureResult {
  const specs: TensorSpec[][] = [[], []];
  for (const [index, list, role] of [
    [0, inputs, 'input'],
    [1, outputs, 'output'],
  ] as const) {
    for (const meta of list) {
      const spec = specOf(meta, role);
      if (typeof spec === 'string') return { ok: false, message: spec };
      specs[index]!.push(spec);
    }
  }
  const [inputSpecs, outputSpecs] = specs as [TensorSpec[], TensorSpec[]];
  const all = [...inputSpecs, ...outputSpecs];
  const batchable = inputSpecs.length > 0 && all.every((spec) => spec.shape.length > 0 && spec.shape[0] === -1);
  return { ok: true, value: { inputs: inputSpecs, outputs: outputSpecs, batchable } };
}

/** A concrete shape for a warm-up request: dynamic dimensions become `batch` (first) or 1. */
export function warmupShape(spec: TensorSpec, batch: number): number[] {
  return spec.shape.map((dim, axis) => (dim >= 0 ? dim : axis === 0 ? batch : 1));
}
