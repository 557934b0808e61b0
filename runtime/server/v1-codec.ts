// The V1 (TensorFlow Serving / KServe V1) predict protocol: `instances`, one per row of the
// batch dimension, become input tensors; output rows become `predictions`.
import type { ModelSignature, TensorSpec } from '../engine/signature.ts';
import { elementCount, type Tensor } from '../engine/tensor.ts';
import type { Parsed } from './infer-request.ts';
import { decodeJsonData, MAX_RANK, plainValues, rawFromBase64 } from './json-tensors.ts';

type Nested = unknown[] | number | boolean | string;

/** The shape of a nested JSON array, following first elements: [[1,2],[3,4]] -> [2,2]. */
function nestedShape(value: unknown): number[] {
  const shape: number[] = [];
  let current = value;
  while (Array.isArray(current)) {
    shape.push(current.length);
    current = current[0];
  }
  return shape;
}

function stack(spec: TensorSpec, rows: readonly unknown[], where: (row: number) => string, rawBytes: ReadonlySet<string>): Parsed<Tensor> {
  const rowShape = nestedShape(rows[0]);
  for (const [index, row] of rows.entries()) {
    const shape = nestedShape(row);
    if (shape.join() !== rowShape.join()) {
      return { ok: false, message: `${where(index)} has shape [${shape}] but ${where(0)} has [${rowShape}]` };
    }
  }
  const shape = [rows.length, ...rowShape];
  if (shape.length > MAX_RANK)
    return { ok: false, message: `${where(0)} is nested ${rowShape.length} deep; tensors have at most ${MAX_RANK} dimensions` };
  const decoded = decodeJsonData(spec.name, spec.datatype, shape.length, elementCount(shape), rows);
  if (!decoded.ok) return decoded;
  const data = rawBytes.has(spec.name) ? rawFromBase64(decoded.data as string[]) : decoded.data;
  return { ok: true, value: { name: spec.name, datatype: spec.datatype, shape, data } };
}

/** Turns a V1 predict body into input tensors (batch = number of instances). */
export function instancesToInputs(signature: ModelSignature, body: unknown, rawBytes: ReadonlySet<string> = new Set()): Parsed<Tensor[]> {
  const instances = (body as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    return { ok: false, message: 'the request must be a JSON object with a non-empty "instances" array' };
  }
  const inputs: Tensor[] = [];
  if (signature.inputs.length === 1) {
    const tensor = stack(signature.inputs[0]!, instances, (row) => `instance ${row}`, rawBytes);
    return tensor.ok ? { ok: true, value: [tensor.value] } : tensor;
  }
  for (const [index, instance] of instances.entries()) {
    if (typeof instance !== 'object' || instance === null || Array.isArray(instance)) {
      return {
        ok: false,
        message: `instance ${index} must be an object keyed by input name (the model has ${signature.inputs.length} inputs)`,
      };
    }
  }
  for (const spec of signature.inputs) {
    const rows = instances.map((instance: Record<string, unknown>) => instance[spec.name]);
    const missing = rows.indexOf(undefined);
    if (missing >= 0) return { ok: false, message: `instance ${missing} has no input '${spec.name}'` };
    const tensor = stack(spec, rows, (row) => `instance ${row} input '${spec.name}'`, rawBytes);
    if (!tensor.ok) return tensor;
    inputs.push(tensor.value);
  }
  return { ok: true, value: inputs };
}

function nest(values: readonly Nested[], shape: readonly number[]): Nested {
  if (shape.length === 0) return values[0]!;
  if (shape.length === 1) return values.slice();
  const step = values.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

/** One prediction per batch row: the row itself for one output, else an object by output name. */
export function outputsToPredictions(outputs: readonly Tensor[]): unknown[] {
  const rowsOf = (tensor: Tensor): Nested[] => {
    const values = plainValues(tensor.datatype, tensor.data);
    return tensor.shape.length === 0 ? values : (nest(values, tensor.shape) as Nested[]);
  };
  if (outputs.length === 1) return rowsOf(outputs[0]!);
  const columns = outputs.map((tensor) => [tensor.name, rowsOf(tensor)] as const);
  const rows = columns[0]?.[1].length ?? 0;
  return Array.from({ length: rows }, (_, row) => Object.fromEntries(columns.map(([name, values]) => [name, values[row]])));
}
