// Generates the quickstart's two tiny models instead of keeping binaries in git:
// linear-v1.onnx computes y = 2x + 1 and linear-v2.onnx y = 3x + 1 (input "input" FP32
// [batch, 1] -> "output"), so every answer shows which version served it.
// `npm run quickstart` runs this first; it is quick and idempotent.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addModel } from '../../tools/onnx/models.ts';

/** The quickstart's models: file name and the line each one computes. */
export const QUICKSTART_MODELS: readonly { readonly file: string; readonly scale: number; readonly offset: number }[] = [
  { file: 'linear-v1.onnx', scale: 2, offset: 1 },
  { file: 'linear-v2.onnx', scale: 3, offset: 1 },
];

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Writes the quickstart models into `dir` (default: this directory); returns the paths written or kept. */
export async function generateQuickstartModels(dir: string = HERE): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const { file, scale, offset } of QUICKSTART_MODELS) {
    const path = join(dir, file);
    const bytes = addModel({ scale, offset, features: 1 });
    const existing = await readFile(path).catch(() => undefined);
    if (existing === undefined || !existing.equals(bytes)) await writeFile(path, bytes);
    paths.push(path);
  }
  return paths;
}

if (import.meta.main) {
  const paths = await generateQuickstartModels();
  process.stdout.write(`quickstart models ready: ${paths.map((p) => p.replace(process.cwd() + '/', '')).join(', ')}\n`);
}
