// Compressed variants of an FP32 model (INT8 dynamic, INT8 static QDQ, FP16, FP16 inside with
// FP32 edges), made by compress.py with onnxruntime.quantization and onnxconverter-common, and
// the accuracy measures the tests and the benchmark compare them with FP32 by.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from './models.ts';

const SCRIPT = fileURLToPath(new URL('./compress.py', import.meta.url));

export const COMPRESSED_VARIANTS = ['int8-dynamic', 'int8-qdq', 'fp16', 'fp16-io32'] as const;
export type CompressedVariant = (typeof COMPRESSED_VARIANTS)[number];

/** Whether a variant's input and output tensors are FP16 (the others keep FP32 at the edges). */
export function hasHalfIo(variant: CompressedVariant): boolean {
  return variant === 'fp16';
}

/** The Python modules compress.py imports: a probe for them runs before any compression. */
export const COMPRESS_MODULES = 'import onnx, onnxruntime.quantization, onnxconverter_common';

/** Writes every variant of the FP32 model at `modelPath` into `outDir`; returns their paths. */
export function compressModel(python: string, modelPath: string, outDir: string): Record<CompressedVariant, string> {
  execFileSync(python, [SCRIPT, modelPath, outDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return Object.fromEntries(COMPRESSED_VARIANTS.map((variant) => [variant, join(outDir, `${variant}.onnx`)])) as Record<
    CompressedVariant,
    string
  >;
}

/** `rows` x `features` seeded inputs in [0, 1): the distribution compress.py calibrates on, other values. */
export function uniformRows(rows: number, features: number, seed = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: rows * features }, () => (next() + 1) / 2);
}

export interface AccuracyDelta {
  /** Largest |compressed - fp32| over every output element. */
  readonly maxAbsError: number;
  /** Share of rows whose largest output is at the same index. */
  readonly argmaxAgreement: number;
}

function argmax(values: ArrayLike<number>, from: number, count: number): number {
  let best = from;
  for (let i = from + 1; i < from + count; i++) if (values[i]! > values[best]!) best = i;
  return best - from;
}

/** How far a compressed model's outputs are from FP32's, both `rows` x `classes` row-major. */
export function accuracyDelta(reference: ArrayLike<number>, compressed: ArrayLike<number>, classes: number): AccuracyDelta {
  let maxAbsError = 0;
  for (let i = 0; i < reference.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(reference[i]! - compressed[i]!));
  const rows = reference.length / classes;
  let agree = 0;
  for (let row = 0; row < rows; row++) {
    if (argmax(reference, row * classes, classes) === argmax(compressed, row * classes, classes)) agree++;
  }
  return { maxAbsError, argmaxAgreement: agree / rows };
}
