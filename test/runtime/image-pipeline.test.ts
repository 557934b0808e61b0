// The image step: PNG and JPEG bytes in (binary or base64 JSON), the expected class out for
// a model whose answer is computable (the dominant colour), batched and unbatched; a corrupt
// image is a 400 naming the step and the row.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { resolveImageStep } from '../../api/pipeline.ts';
import { imageStepRunner } from '../../runtime/engine/image-step.ts';
import { channelMeanModel } from '../../tools/onnx/models.ts';
import { binaryOutputs, postBinary, postJson, startTestServer, tempFile } from './harness.ts';

const SIZE = 8;
const COLOURS = { red: { r: 200, g: 10, b: 10 }, green: { r: 10, g: 200, b: 10 }, blue: { r: 10, g: 10, b: 200 } } as const;
const INFER = '/v2/models/m/infer';

function solid(colour: keyof typeof COLOURS, format: 'png' | 'jpeg', width = 32, height = 24): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: COLOURS[colour] } });
  return (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toBuffer();
}

async function imageServer(t: TestContext, flags: Record<string, string> = {}) {
  const pipeline = { preprocess: [{ image: { input: 'image', output: 'pixels', width: SIZE, height: SIZE } }] };
  return startTestServer(t, channelMeanModel({ size: SIZE, inputName: 'pixels', outputName: 'scores' }), {
    pipeline: JSON.stringify(pipeline),
    labels: tempFile(t, 'labels.txt', 'red\ngreen\nblue\n'),
    ...flags,
  });
}

/** One V2 request with the images as BYTES rows, binary or base64 JSON, asking for the top class. */
function classifyImages(url: string, images: readonly Buffer[], binary: boolean) {
  const outputs = [{ name: 'scores', parameters: { classification: 1, binary_data: binary } }];
  if (!binary) {
    return postJson(url, INFER, {
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length], data: images.map((image) => image.toString('base64')) }],
      outputs,
    });
  }
  const blob = Buffer.concat(images.flatMap((image) => [Buffer.from(Uint32Array.of(image.length).buffer), image]));
  return postBinary(
    url,
    INFER,
    { inputs: [{ name: 'image', datatype: 'BYTES', shape: [images.length], parameters: { binary_data_size: blob.length } }], outputs },
    [blob],
  );
}

const labelOf = (text: string) => text.split(':')[2];

for (const batching of [false, true]) {
  test(`PNG and JPEG in, the dominant colour out, binary and base64 (${batching ? 'dynamic batching' : 'no batching'})`, async (t) => {
    const server = await imageServer(t, batching ? { 'max-batch-size': '8', 'max-queue-delay-micros': '20000' } : {});
    const images = [
      await solid('red', 'png'),
      await solid('green', 'jpeg'),
      await solid('blue', 'png', 5, 40),
      await solid('green', 'png'),
    ];
    for (const binary of [true, false]) {
      const reply = await classifyImages(server.url, images, binary);
      assert.equal(reply.status, 200, reply.body.toString());
      assert.deepEqual(reply.json.outputs[0].shape, [4, 1]);
      const strings: string[] = binary ? [] : reply.json.outputs[0].data;
      // PNG is lossless: the score is exactly 200/255 as the model's float32 mean.
      if (!binary) assert.equal(strings[0], `${(Math.fround(200 / 255)).toFixed(6)}:0:red`);
      if (binary) assert.match(binaryOutputs(reply).get('scores')!.toString('latin1'), /0\.784314:0:red.*:1:green.*:2:blue.*:1:green/s);
      else assert.deepEqual(strings.map(labelOf), ['red', 'green', 'blue', 'green']);
    }
    const v1 = await postJson(server.url, '/v1/models/m:predict', {
      instances: images.map((image) => image.toString('base64')),
      parameters: { classification: 1 },
    });
    assert.equal(v1.status, 200, v1.body.toString());
    assert.deepEqual(
      v1.json.predictions.map((row: string[]) => labelOf(row[0]!)),
      ['red', 'green', 'blue', 'green'],
    );
    // One image per request, concurrently: with batching on they share executions.
    const singles = await Promise.all(images.map((image) => classifyImages(server.url, [image], false)));
    assert.deepEqual(
      singles.map((reply) => labelOf(reply.json.outputs[0].data[0])),
      ['red', 'green', 'blue', 'green'],
    );
  });
}

test('a corrupt image is a 400 naming the step and the row; the server keeps serving', async (t) => {
  const server = await imageServer(t, { 'max-batch-size': '8', 'max-queue-delay-micros': '1000' });
  const good = await solid('red', 'png');
  const reply = await classifyImages(server.url, [good, Buffer.from('not an image at all')], true);
  assert.equal(reply.status, 400);
  assert.match(
    reply.json.error,
    /^inference failed: pipeline step preprocess\[0\] \(image\): row 1: input 'image' is not a JPEG, PNG or WebP image that can be decoded/,
  );
  const after = await classifyImages(server.url, [good], true);
  assert.equal(after.status, 200);
});

test('the image step normalises into NHWC with BGR order, scale, mean and std', async () => {
  // Two pixels: (10, 20, 30) and (40, 50, 60); fill resize to the same size keeps them exact.
  const png = await sharp(Buffer.from([10, 20, 30, 40, 50, 60]), { raw: { width: 2, height: 1, channels: 3 } })
    .png()
    .toBuffer();
  const step = resolveImageStep({
    input: 'in',
    output: 'out',
    width: 2,
    height: 1,
    layout: 'NHWC',
    channels: 'BGR',
    scale: 1,
    mean: [1, 2, 3],
    std: [2, 4, 8],
  });
  const runner = imageStepRunner(step, 'preprocess[0] (image)');
  const [out] = await runner.run([{ name: 'in', datatype: 'BYTES', shape: [1], data: [png.toString('latin1')] }], undefined);
  assert.deepEqual(out!.shape, [1, 1, 2, 3]);
  // BGR: channel 0 is blue. (x - mean) / std per channel.
  assert.deepEqual(Array.from(out!.data as Float32Array), [
    (30 - 1) / 2,
    (20 - 2) / 4,
    (10 - 3) / 8,
    (60 - 1) / 2,
    (50 - 2) / 4,
    (40 - 3) / 8,
  ]);
});
