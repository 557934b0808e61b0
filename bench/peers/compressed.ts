// Compressed MLPs (INT8 dynamic, INT8 static QDQ, FP16 with FP32 edges, FP16 throughout) served
// by `kubeinfer serve` with its defaults, against the FP32 model they came from: req/s under the
// same wrk load (alternating, median of the repetitions) and the accuracy delta on a fixed set
// of 256 seeded inputs.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accuracyDelta, COMPRESSED_VARIANTS, compressModel, hasHalfIo, uniformRows } from '../../tools/onnx/compressed.ts';
import { mlpModel } from '../../tools/onnx/models.ts';
import { startKubeinfer, type Contender } from './contenders.ts';
import { wrkLoad } from './load.ts';
import { compressedTable, type Cell, type CompressedRow } from './report.ts';
import { expectedOutput, inferJson, jsonBody } from './requests.ts';
import { venvPython } from './venvs.ts';

const ACCURACY_ROWS = 256;
const FEATURES = 784;
const CLASSES = 10;

interface Variant {
  readonly name: string;
  readonly path: string;
  readonly datatype: 'FP32' | 'FP16';
}

async function accuracyOf(contender: Contender, variant: Variant, inputs: Float32Array, reference: Float32Array): Promise<CompressedRow> {
  const answer = await inferJson(contender.url, jsonBody(inputs, ACCURACY_ROWS, variant.datatype));
  if ('problem' in answer) throw new Error(`${variant.name}: ${answer.problem}`);
  const delta = accuracyDelta(reference, answer.data, CLASSES);
  return { variant: variant.name, sizeKiB: Math.round(statSync(variant.path).size / 1024), ...delta, cells: [] };
}

interface LoadPlan {
  readonly concurrency: number;
  readonly seconds: number;
  readonly reps: number;
}

/** The same wrk load on every variant's server, `reps` times, each repetition starting one server later. */
async function measureAlternating(
  servers: readonly Contender[],
  variants: readonly Variant[],
  rows: readonly CompressedRow[],
  plan: LoadPlan,
) {
  const bodies = variants.map((variant) => ({
    body: jsonBody(uniformRows(1, FEATURES), 1, variant.datatype),
    headers: { 'Content-Type': 'application/json' },
  }));
  for (let i = 0; i < servers.length; i++) await wrkLoad(servers[i]!.url, bodies[i]!, plan.concurrency, 1);
  for (let rep = 0; rep < plan.reps; rep++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (k + rep) % servers.length;
      const result = await wrkLoad(servers[i]!.url, bodies[i]!, plan.concurrency, plan.seconds);
      rows[i]!.cells[0]!.reps.push(result);
    }
  }
}

/** Makes the compressed variants with the `compress` venv, serves each, and prints their table. */
export async function benchCompressed(
  dir: string,
  concurrency: number,
  seconds: number,
  reps: number,
  log: (line: string) => void,
): Promise<void> {
  const python = venvPython('compress', log);
  if (!python.ok) return log(`SKIPPED compressed models: ${python.reason}`);
  const fp32 = join(dir, 'compress-fp32.onnx');
  writeFileSync(fp32, mlpModel({ layers: [FEATURES, 512, 512, CLASSES] }));
  const paths = compressModel(python.python, fp32, join(dir, 'compressed'));
  const variants: Variant[] = [
    { name: 'fp32', path: fp32, datatype: 'FP32' },
    ...COMPRESSED_VARIANTS.map((name) => ({ name, path: paths[name], datatype: hasHalfIo(name) ? ('FP16' as const) : ('FP32' as const) })),
  ];
  const inputs = uniformRows(ACCURACY_ROWS, FEATURES, 2);
  const reference = await expectedOutput(fp32, inputs, ACCURACY_ROWS);
  const servers: Contender[] = [];
  try {
    const rows: (CompressedRow & { cells: Cell[] })[] = [];
    for (const variant of variants) {
      const contender = await startKubeinfer(variant.name, variant.path, []);
      servers.push(contender);
      const cell: Cell = { model: 'mlp', concurrency, row: variant.name, reps: [] };
      rows.push({ ...(await accuracyOf(contender, variant, inputs, reference)), cells: [cell] });
    }
    await measureAlternating(servers, variants, rows, { concurrency, seconds, reps });
    console.log(
      `\nCompressed MLP 784-512-512-10 on kubeinfer (defaults), batch 1, c=${concurrency}; accuracy on ${ACCURACY_ROWS} seeded inputs vs FP32`,
    );
    for (const line of compressedTable(rows)) console.log(line);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
