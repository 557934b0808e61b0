// Checks a decoded request against the model's signature before it is queued, so a bad
// request fails alone with a message naming the problem instead of inside a batch.
import { clip } from './quote.ts';
import type { ModelSignature, TensorSpec } from './signature.ts';
import type { Tensor } from './tensor.ts';

/** Renders a shape the way the protocol's metadata shows it: [-1,784]. */
function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function names(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `'${spec.name}'`).join(', ');
}

function checkShape(tensor: Tensor, spec: TensorSpec): string | undefined {
  const fits = tensor.shape.length === spec.shape.length && spec.shape.every((dim, axis) => dim < 0 || dim === tensor.shape[axis]);
  if (fits) return undefined;
  return `input '${clip(tensor.name)}' has shape ${formatShape(tensor.shape)} but the model expects ${formatShape(spec.shape)} (-1 is any size)`;
}

/** Returns a message naming what is wrong with the inputs, or undefined when they fit. */
export function checkInputs(signature: ModelSignature, inputs: readonly Tensor[]): string | undefined {
  const seen = new Set<string>();
  for (const tensor of inputs) {
    if (seen.has(tensor.name)) return `input '${clip(tensor.name)}' is given more than once`;
    seen.add(tensor.name);
    const spec = signature.inputs.find((candidate) => candidate.name === tensor.name);
    if (spec === undefined) return `unknown input '${clip(tensor.name)}'; the model's inputs are ${names(signature.inputs)}`;
    if (tensor.datatype !== spec.datatype) {
      return `input '${clip(tensor.name)}' has datatype ${tensor.datatype} but the model expects ${spec.datatype}`;
    }
    const shapeProblem = checkShape(tensor, spec);
    if (shapeProblem !== undefined) return shapeProblem;
  }
  const missing = signature.inputs.filter((spec) => !seen.has(spec.name));
  if (missing.length > 0) return `missing input ${names(missing)}; the model's inputs are ${names(signature.inputs)}`;
  return undefined;
}

/** Returns a message naming an unknown or repeated requested output, or undefined. */
export function checkOutputs(signature: ModelSignature, requested: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of requested) {
    if (seen.has(name)) return `output '${clip(name)}' is requested more than once`;
    seen.add(name);
    if (!signature.outputs.some((spec) => spec.name === name)) {
      return `unknown output '${clip(name)}'; the model's outputs are ${names(signature.outputs)}`;
    }
  }
  return undefined;
}

/** The request's batch size when every input shares one first dimension, else undefined. */
export function requestBatchSize(inputs: readonly Tensor[]): number | undefined {
  const first = inputs[0]?.shape[0];
  if (first === undefined) return undefined;
  return inputs.every((tensor) => tensor.shape[0] === first) ? first : undefined;
}
