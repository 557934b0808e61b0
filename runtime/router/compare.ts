// Compares a mirrored answer with the live answer to the same request, tensor by tensor:
// same output names, shapes and datatypes, every value within tolerance, and for a
// one-row classification output (shape [1, K]) the same top-1 class. V1 `predictions`
// are compared as one tensor.

/** |candidate - live| <= absolute + relative * |live|. */
export interface ToleranceSettings {
  readonly absolute: number;
  readonly relative: number;
}

/** Used when the configuration names none (a mirror without a rollout). */
export const DEFAULT_TOLERANCE: ToleranceSettings = { absolute: 1e-4, relative: 1e-3 };

export interface AnswerComparison {
  readonly match: boolean;
  /** Largest absolute difference between two numeric values (0 when none were compared). */
  readonly maxAbsDifference: number;
  /** Why they differ, for logs. */
  readonly reason?: string;
}

interface Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly data: readonly unknown[];
}

/** Compares two JSON answers; undefined when the live answer is not a JSON inference answer (nothing to compare with). */
export function compareAnswers(live: Buffer, candidate: Buffer, tolerance: ToleranceSettings): AnswerComparison | undefined {
  const expected = tensorsOf(live);
  if (expected === undefined) return undefined;
  const actual = tensorsOf(candidate);
  if (actual === undefined) return { match: false, maxAbsDifference: 0, reason: 'the mirrored answer is not a JSON inference answer' };
  let maxAbsDifference = 0;
  if (actual.length !== expected.length)
    return { match: false, maxAbsDifference, reason: `${actual.length} outputs instead of ${expected.length}` };
  for (const want of expected) {
    const got = actual.find((tensor) => tensor.name === want.name);
    if (got === undefined) return { match: false, maxAbsDifference, reason: `output "${want.name}" is missing` };
    const compared = compareTensor(want, got, tolerance);
    maxAbsDifference = Math.max(maxAbsDifference, compared.maxAbsDifference);
    if (!compared.match) return { ...compared, maxAbsDifference };
  }
  return { match: true, maxAbsDifference };
}

function compareTensor(want: Tensor, got: Tensor, tolerance: ToleranceSettings): AnswerComparison {
  const where = `output "${want.name}"`;
  if (got.datatype !== want.datatype)
    return { match: false, maxAbsDifference: 0, reason: `${where}: datatype ${got.datatype} instead of ${want.datatype}` };
  if (got.shape.join(',') !== want.shape.join(','))
    return { match: false, maxAbsDifference: 0, reason: `${where}: shape [${got.shape}] instead of [${want.shape}]` };
  if (got.data.length !== want.data.length)
    return { match: false, maxAbsDifference: 0, reason: `${where}: ${got.data.length} values instead of ${want.data.length}` };
  let maxAbsDifference = 0;
  let outside = -1;
  for (let i = 0; i < want.data.length; i += 1) {
    const [a, b] = [want.data[i], got.data[i]];
    if (typeof a === 'number' && typeof b === 'number') {
      const difference = Math.abs(a - b);
      maxAbsDifference = Math.max(maxAbsDifference, difference);
      if (outside < 0 && !(difference <= tolerance.absolute + tolerance.relative * Math.abs(a))) outside = i;
    } else if (a !== b && outside < 0) outside = i;
  }
  if (outside >= 0)
    return {
      match: false,
      maxAbsDifference,
      reason: `${where}: value ${outside} is ${String(got.data[outside])} instead of ${String(want.data[outside])}`,
    };
  if (isOneRowClassification(want) && argmax(want.data) !== argmax(got.data)) {
    return { match: false, maxAbsDifference, reason: `${where}: top-1 class ${argmax(got.data)} instead of ${argmax(want.data)}` };
  }
  return { match: true, maxAbsDifference };
}

function isOneRowClassification(tensor: Tensor): boolean {
  return (
    tensor.shape.length === 2 &&
    tensor.shape[0] === 1 &&
    (tensor.shape[1] ?? 0) > 1 &&
    tensor.data.every((value) => typeof value === 'number')
  );
}

function argmax(values: readonly unknown[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** V2 `outputs`, or V1 `predictions` as one tensor; undefined for anything else. */
function tensorsOf(body: Buffer): Tensor[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { outputs, predictions } = parsed as { outputs?: unknown; predictions?: unknown };
  // JSON tensors may be written nested or flat (row-major): compare them flat.
  if (Array.isArray(outputs)) return outputs.every(isTensor) ? outputs.map((t) => ({ ...t, data: t.data.flat(Infinity) })) : undefined;
  if (Array.isArray(predictions)) return [predictionTensor(predictions)];
  return undefined;
}

function isTensor(value: unknown): value is Tensor {
  const t = value as Partial<Tensor> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.name === 'string' &&
    typeof t.datatype === 'string' &&
    Array.isArray(t.shape) &&
    Array.isArray(t.data)
  );
}

function predictionTensor(predictions: readonly unknown[]): Tensor {
  const rows = predictions.map((row) => (Array.isArray(row) ? row.flat(Infinity) : [row]));
  const width = rows[0]?.length ?? 0;
  return { name: 'predictions', datatype: 'V1', shape: [rows.length, width], data: rows.flat() };
}
