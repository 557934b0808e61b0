// examples/image-classifier.yaml runs with `kubeinfer run`: the labels and the image step
// come from the manifest, a PNG goes in through the router and the dominant colour comes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { generateImageClassifierModel } from '../../examples/models/generate.ts';
import { postJson } from '../runtime/harness.ts';
import { startLocalRun } from './session.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/image-classifier.yaml', import.meta.url));

test('examples/image-classifier.yaml: PNG and JPEG in through the router, the colour label out', async (t) => {
  await generateImageClassifierModel();
  const local = await startLocalRun(EXAMPLE);
  t.after(() => local.interrupt());
  const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer();
  const blue = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 30, b: 220 } } })
    .jpeg()
    .toBuffer();
  const reply = await postJson(local.routerUrl, '/v2/models/image-classifier/infer', {
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: [red.toString('base64'), blue.toString('base64')] }],
    outputs: [{ name: 'scores', parameters: { classification: 1 } }],
  });
  assert.equal(reply.status, 200, reply.body.toString());
  // 200/255, up to the float32 rounding of averaging 32x32 pixels.
  assert.match(reply.json.outputs[0].data[0], /^0\.7843\d\d:0:red$/);
  assert.match(reply.json.outputs[0].data[1], /^0\.8\d{5}:2:blue$/);
  assert.equal(await local.interrupt(), 0);
});
