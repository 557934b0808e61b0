// Pipeline benchmark: `node bench/pipeline.ts [--seconds 3]`.
// 1. What declared steps cost over the bare model, over loopback HTTP (binary protocol):
//    scaler -> MLP -> argmax against the MLP alone, and a 224x224 JPEG through the image
//    step against the same classifier fed a ready float tensor.
// 2. The image step's throughput in process (decode + resize + normalise, images/s at
//    224x224) against sharp's bare decode of the same images in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { resolveImageStep } from '../api/pipeline.ts';
import { imageStepRunner } from '../runtime/engine/image-step.ts';
import { argmaxModel, imageModel, mlpModel, scalerModel } from '../tools/onnx/models.ts';
import { measureHttp, startServe, type Latencies } from './runtime-load.ts';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const SECONDS = Number(args.seconds);
const CONCURRENCY = [1, 8];
const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-bench-pipeline-'));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** A binary-protocol request: one JSON header, then the inputs' blobs. */
function binaryRequest(inputs: readonly { name: string; datatype: string; shape: number[]; blob: Buffer }[]) {
  const header = Buffer.from(
    JSON.stringify({
      inputs: inputs.map(({ name, datatype, shape, blob }) => ({ name, datatype, shape, parameters: { binary_data_size: blob.length } })),
      parameters: { binary_data_output: true },
    }),
  );
  return {
    body: Buffer.concat([header, ...inputs.map((input) => input.blob)]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': header.length },
  };
}

const bytesBlob = (images: readonly Buffer[]) =>
  Buffer.concat(images.flatMap((image) => [Buffer.from(Uint32Array.of(image.length).buffer), image]));
const floatBlob = (count: number) => Buffer.from(new Float32Array(count).fill(0.5).buffer);

interface Case {
  readonly group: string;
  readonly label: string;
  readonly model: string;
  readonly flags: readonly string[];
  readonly request: ReturnType<typeof binaryRequest>;
}

async function httpCases(): Promise<Case[]> {
  const mlp = file('mlp.onnx', mlpModel({ layers: [64, 256, 10], inputName: 'scaled', outputName: 'logits' }));
  const steps = JSON.stringify({
    preprocess: [
      { model: file('scaler.onnx', scalerModel({ mean: new Array(64).fill(0.1), std: new Array(64).fill(2), outputName: 'scaled' })) },
    ],
    postprocess: [{ model: file('argmax.onnx', argmaxModel({ classes: 10, inputName: 'logits' })) }],
  });
  const classifier = file('image.onnx', imageModel());
  const image = JSON.stringify({ preprocess: [{ image: { input: 'image', output: 'input', width: 224, height: 224 } }] });
  const jpeg = await sampleJpeg(640, 480);
  return [
    {
      group: 'mlp 64-256-10',
      label: 'bare model',
      model: mlp,
      flags: [],
      request: binaryRequest([{ name: 'scaled', datatype: 'FP32', shape: [1, 64], blob: floatBlob(64) }]),
    },
    {
      group: 'mlp 64-256-10',
      label: 'scaler -> model -> argmax',
      model: mlp,
      flags: ['--pipeline', steps],
      request: binaryRequest([{ name: 'features', datatype: 'FP32', shape: [1, 64], blob: floatBlob(64) }]),
    },
    {
      group: 'image classifier',
      label: 'bare model, 1x3x224x224 FP32',
      model: classifier,
      flags: [],
      request: binaryRequest([{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], blob: floatBlob(3 * 224 * 224) }]),
    },
    {
      group: 'image classifier',
      label: `image step, 640x480 JPEG (${(jpeg.length / 1024).toFixed(0)} KiB)`,
      model: classifier,
      flags: ['--pipeline', image],
      request: binaryRequest([{ name: 'image', datatype: 'BYTES', shape: [1], blob: bytesBlob([jpeg]) }]),
    },
  ];
}

/** A photo-like JPEG: smooth gradients plus noise, so it neither compresses to nothing nor is pure noise. */
async function sampleJpeg(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++)
    pixels[i] = ((i % (width * 3)) / 3 + Math.floor(i / (width * 3)) + ((i * 2654435761) % 32)) & 0xff;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function measureCase(item: Case): Promise<Latencies[]> {
  const server = await startServe(item.model, ['--workers', String(availableParallelism()), ...item.flags]);
  try {
    const results: Latencies[] = [];
    for (const concurrency of CONCURRENCY) {
      results.push(
        await measureHttp({
          url: server.url,
          path: '/v2/models/m/infer',
          ...item.request,
          concurrency,
          seconds: SECONDS,
          warmupSeconds: 0.5,
        }),
      );
    }
    return results;
  } finally {
    await server.stop();
  }
}

/** Images per second of `decode` over batches of `batch` images for SECONDS. */
async function imagesPerSecond(batch: readonly Buffer[], decode: (images: readonly Buffer[]) => Promise<unknown>): Promise<number> {
  await decode(batch);
  let images = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await decode(batch);
    images += batch.length;
  }
  return images / ((performance.now() - start) / 1000);
}

async function decodeTable(): Promise<void> {
  const runner = imageStepRunner(resolveImageStep({ input: 'image', output: 'pixels', width: 224, height: 224 }), 'bench');
  const step = (images: readonly Buffer[]) =>
    runner.run(
      [{ name: 'image', datatype: 'BYTES', shape: [images.length], data: images.map((image) => image.toString('latin1')) }],
      undefined,
    );
  const bare = (images: readonly Buffer[]) => Promise.all(images.map((image) => sharp(image).raw().toBuffer()));
  const sources = [
    ['JPEG 224x224', await sampleJpeg(224, 224)],
    [
      'PNG 224x224',
      await sharp(await sampleJpeg(224, 224))
        .png()
        .toBuffer(),
    ],
    ['JPEG 640x480 -> 224x224', await sampleJpeg(640, 480)],
  ] as const;
  console.log(`\nimage step in process, batches of 32, libvips threads ${sharp.concurrency()}`);
  console.log(['input'.padEnd(26), 'bare decode img/s'.padStart(18), 'image step img/s'.padStart(17), 'ratio'.padStart(6)].join('  '));
  for (const [label, image] of sources) {
    const batch = new Array<Buffer>(32).fill(image);
    const baseline = await imagesPerSecond(batch, bare);
    const measured = await imagesPerSecond(batch, step);
    console.log(
      [
        label.padEnd(26),
        baseline.toFixed(0).padStart(18),
        measured.toFixed(0).padStart(17),
        (measured / baseline).toFixed(2).padStart(6),
      ].join('  '),
    );
  }
}

async function main(): Promise<void> {
  console.log(`pipeline overhead over loopback HTTP, binary protocol, ${SECONDS}s per cell, ${availableParallelism()} workers`);
  console.log(
    [
      'model'.padEnd(17),
      'served as'.padEnd(36),
      'conc'.padStart(4),
      'req/s'.padStart(7),
      'p50 ms'.padStart(7),
      'p99 ms'.padStart(7),
      'req/s vs bare'.padStart(13),
      'p50 +us vs bare'.padStart(15),
    ].join('  '),
  );
  const bare = new Map<string, Latencies[]>();
  for (const item of await httpCases()) {
    const results = await measureCase(item);
    if (!bare.has(item.group)) bare.set(item.group, results);
    for (const [index, result] of results.entries()) {
      const rate = result.count / result.seconds;
      const base = bare.get(item.group)![index]!;
      console.log(
        [
          item.group.padEnd(17),
          item.label.padEnd(36),
          String(CONCURRENCY[index]).padStart(4),
          rate.toFixed(0).padStart(7),
          result.p50Ms.toFixed(2).padStart(7),
          result.p99Ms.toFixed(2).padStart(7),
          (rate / (base.count / base.seconds)).toFixed(2).padStart(13),
          ((result.p50Ms - base.p50Ms) * 1000).toFixed(0).padStart(15),
        ].join('  '),
      );
    }
  }
  await decodeTable();
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
