// The built-in image step: one encoded JPEG/PNG/WebP per row of a BYTES input -> a float32
// tensor [rows, C, H, W] or [rows, H, W, C], resized and normalised. Decoding and resizing
// run in libvips (sharp) on its own thread pool, so the rows of a batch decode in parallel.
import sharp from 'sharp';
import type { ResolvedImageStep } from '../../api/pipeline.ts';
import type { StepRunner } from './pipeline.ts';
import type { TensorSpec } from './signature.ts';
import type { Tensor } from './tensor.ts';

// Every request brings new bytes: libvips' operation cache would only hold memory, never hit.
sharp.cache(false);

const FIT: Readonly<Record<ResolvedImageStep['resize'], 'fill' | 'contain' | 'cover'>> = { fill: 'fill', fit: 'contain', crop: 'cover' };
const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

/** The step's tensors: BYTES [-1] of raw image bytes in, FP32 in the declared layout out. */
export function imageSignature(step: ResolvedImageStep): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const channels = step.channels === 'GRAY' ? 1 : 3;
  const shape = step.layout === 'NCHW' ? [-1, channels, step.height, step.width] : [-1, step.height, step.width, channels];
  return {
    inputs: [{ name: step.input, datatype: 'BYTES', shape: [-1], raw: true }],
    outputs: [{ name: step.output, datatype: 'FP32', shape }],
  };
}

/** Decodes and resizes one image to interleaved 8-bit pixels of the step's size and channel count. */
async function pixels(step: ResolvedImageStep, encoded: Buffer): Promise<Buffer> {
  let image = sharp(encoded, { failOn: 'error' })
    .resize(step.width, step.height, { fit: FIT[step.resize], background: BLACK })
    .removeAlpha();
  image = step.channels === 'GRAY' ? image.grayscale() : image.toColourspace('srgb');
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const channels = step.channels === 'GRAY' ? 1 : 3;
  if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels where ${channels} were expected`);
  return data;
}

/** Writes one row's pixels into the output, normalised, in the step's layout and channel order. */
function normalise(step: ResolvedImageStep, source: Buffer, target: Float32Array, offset: number): void {
  const channels = step.channels === 'GRAY' ? 1 : 3;
  const plane = step.width * step.height;
  // Plain locals and one branch per channel keep the per-pixel loop monomorphic and fast.
  const planar = step.layout === 'NCHW';
  for (let channel = 0; channel < channels; channel++) {
    // BGR reads the decoded RGB pixels in reverse channel order.
    const from = step.channels === 'BGR' ? 2 - channel : channel;
    const multiplier = step.scale / step.std[channel]!;
    const shift = step.mean[channel]! / step.std[channel]!;
    const start = planar ? offset + channel * plane : offset + channel;
    const stride = planar ? 1 : channels;
    for (let pixel = 0, read = from, write = start; pixel < plane; pixel++, read += channels, write += stride) {
      target[write] = source[read]! * multiplier - shift;
    }
  }
}

/** Rows of a BYTES tensor: every element is one image, whatever the trailing dimensions. */
async function decodeRows(step: ResolvedImageStep, images: readonly string[]): Promise<Float32Array> {
  const rowSize = step.width * step.height * (step.channels === 'GRAY' ? 1 : 3);
  const output = new Float32Array(images.length * rowSize);
  const decoded = await Promise.allSettled(images.map((image) => pixels(step, Buffer.from(image, 'latin1'))));
  for (const [row, result] of decoded.entries()) {
    if (result.status === 'rejected') {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      throw new Error(`row ${row}: input '${step.input}' is not a JPEG, PNG or WebP image that can be decoded (${reason})`);
    }
    normalise(step, result.value, output, row * rowSize);
  }
  return output;
}

/** A runner for one image step; `name` is how errors name it. */
export function imageStepRunner(step: ResolvedImageStep, name: string): StepRunner {
  const { inputs, outputs } = imageSignature(step);
  return {
    name,
    inputs,
    outputs,
    run: async ([images]) => {
      const data = await decodeRows(step, images!.data as readonly string[]);
      const shape = [images!.shape[0] ?? 1, ...outputs[0]!.shape.slice(1)];
      return [{ name: step.output, datatype: 'FP32', shape, data } satisfies Tensor];
    },
  };
}

/** A valid 1x1 PNG as a latin1 string: warm-up rows for a pipeline that starts with images. */
export async function sampleImage(): Promise<string> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: BLACK } })
    .png()
    .toBuffer();
  return png.toString('latin1');
}
