// Generates the examples' tiny models instead of keeping binaries in git:
// linear-v1.onnx computes y = 2x + 1 and linear-v2.onnx y = 3x + 1 (input "input" FP32
// [batch, 1] -> "output"), so every answer shows which version served it; colour-mean.onnx
// (image-classifier.yaml) scores an image by the mean of each RGB channel, so its class is
// the dominant colour (labels in colours.txt).
// `npm run quickstart` runs this first; it is quick and idempotent.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addModel, channelMeanModel } from '../../tools/onnx/models.ts';

/** The quickstart's models: file name and the line each one computes. */
export const QUICKSTART_MODELS: readonly { readonly file: string; readonly scale: number; readonly offset: number }[] = [
  { file: 'linear-v1.onnx', scale: 2, offset: 1 },
  { file: 'linear-v2.onnx', scale: 3, offset: 1 },
];

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The image classifier's model and the side of the square image tensor it takes. */
export const IMAGE_CLASSIFIER = { file: 'colour-mean.onnx', size: 32 } as const;

async function writeIfChanged(path: string, bytes: Uint8Array): Promise<string> {
  const existing = await readFile(path).catch(() => undefined);
  if (existing === undefined || !existing.equals(bytes)) await writeFile(path, bytes);
  return path;
}

/** Writes the quickstart models into `dir` (default: this directory); returns the paths written or kept. */
export async function generateQuickstartModels(dir: string = HERE): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const { file, scale, offset } of QUICKSTART_MODELS)
    paths.push(await writeIfChanged(join(dir, file), addModel({ scale, offset, features: 1 })));
  return paths;
}

/** Writes the image classifier's model into `dir` (default: this directory); returns its path. */
export function generateImageClassifierModel(dir: string = HERE): Promise<string> {
  const model = channelMeanModel({ size: IMAGE_CLASSIFIER.size, inputName: 'pixels', outputName: 'scores' });
  return mkdir(dir, { recursive: true }).then(() => writeIfChanged(join(dir, IMAGE_CLASSIFIER.file), model));
}

if (import.meta.main) {
  const paths = [...(await generateQuickstartModels()), await generateImageClassifierModel()];
  process.stdout.write(`quickstart models ready: ${paths.map((p) => p.replace(`${process.cwd()}/`, '')).join(', ')}\n`);
}
