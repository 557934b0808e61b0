// file:// (copied or used in place) and pvc:// (a mounted claim, only verified), plus
// the publication rules every scheme shares: stale staging removed, old model replaced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fetchModel, type FetchModelOptions } from '../../runtime/storage/index.ts';
import { expectFetchFailure, listTree, modelBytes, tempDir, type TempDir } from '../../tools/storage/servers.ts';

const GRAPH = modelBytes(64_000);
const WEIGHTS = randomBytes(128_000);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let work: TempDir;
let models: string;

async function write(relative: string, body: Buffer): Promise<string> {
  const file = path.join(models, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, body);
  return file;
}

const dest = () => work.nextPath('dest');

/** file:// fetches may fail into a directory that already holds a model, so emptiness is not checked. */
const fetchFails = (opts: FetchModelOptions) => expectFetchFailure(opts, { leavesNothing: false });

before(async () => {
  work = await tempDir();
  models = path.join(work.dir, 'models');
  await write('single/fraud.onnx', GRAPH);
  await write('external/model.onnx', GRAPH);
  await write('external/model.onnx.data', WEIGHTS);
  await write('external/weights/w.bin', WEIGHTS);
  await write('ambiguous/a.onnx', GRAPH);
  await write('ambiguous/b.onnx', GRAPH);
});

after(async () => {
  await work?.remove();
});

describe('fetch-model file://', () => {
  test('copies one file, absolute or relative to a base directory', async () => {
    const destDir = dest();
    const result = await fetchModel({ uri: `file://${models}/single/fraud.onnx`, destDir, sha256: sha256(GRAPH) });
    assert.deepEqual(result, { modelPath: path.join(destDir, 'model.onnx'), files: ['model.onnx'], bytes: GRAPH.length });
    const relative = await fetchModel({ uri: 'file://single/fraud.onnx', destDir: dest(), baseDir: models });
    assert.deepEqual(await readFile(relative.modelPath), GRAPH);
  });

  test('copies a directory with its external data', async () => {
    const destDir = dest();
    await fetchModel({ uri: `file://${models}/external`, destDir });
    assert.deepEqual(await listTree(destDir), ['model.onnx', 'model.onnx.data', 'weights/', 'weights/w.bin']);
    assert.deepEqual(await readFile(path.join(destDir, 'weights/w.bin')), WEIGHTS);
  });

  test('in place: verifies and points at the source without copying', async () => {
    const destDir = dest();
    const result = await fetchModel({ uri: `file://${models}/external/`, destDir, inPlace: true, sha256: sha256(GRAPH) });
    assert.equal(result.modelPath, path.join(models, 'external', 'model.onnx'));
    assert.deepEqual([...result.files].sort(), ['model.onnx', 'model.onnx.data', 'weights/w.bin']);
    assert.deepEqual(await listTree(destDir), []);
    const mismatch = await fetchFails({ uri: `file://${models}/single/fraud.onnx`, destDir, inPlace: true, sha256: sha256(WEIGHTS) });
    assert.equal(mismatch.kind, 'ChecksumMismatch');
  });

  test('missing paths and ambiguous directories are NotFound', async () => {
    const missing = await fetchFails({ uri: `file://${models}/nope.onnx`, destDir: dest() });
    assert.equal(missing.kind, 'NotFound');
    assert.match(missing.message, /nope\.onnx does not exist/);
    const ambiguous = await fetchFails({ uri: `file://${models}/ambiguous`, destDir: dest() });
    assert.match(ambiguous.message, /holds several models \(a\.onnx, b\.onnx\) and no model\.onnx/);
  });

  test('a new fetch replaces the old model and removes stale staging directories', async () => {
    const destDir = dest();
    await mkdir(path.join(destDir, '.fetch-model-crashed'), { recursive: true });
    await writeFile(path.join(destDir, '.fetch-model-crashed', 'model.onnx'), 'half');
    await fetchModel({ uri: `file://${models}/single/fraud.onnx`, destDir });
    const nextModel = modelBytes(32_000);
    const next = await write('single/next.onnx', nextModel);
    await fetchModel({ uri: `file://${next}`, destDir });
    assert.deepEqual(await listTree(destDir), ['model.onnx']);
    assert.deepEqual(await readFile(path.join(destDir, 'model.onnx')), nextModel);
  });
});

describe('fetch-model pvc://', () => {
  test('verifies the model in the mounted directory without writing to it', async () => {
    const mounted = path.join(models, 'single');
    const result = await fetchModel({ uri: 'pvc://claim/fraud/1/fraud.onnx', destDir: mounted, sha256: sha256(GRAPH) });
    assert.equal(result.modelPath, path.join(mounted, 'fraud.onnx'));
    assert.deepEqual(await listTree(mounted), ['fraud.onnx', 'next.onnx']);
    const external = await fetchModel({ uri: 'pvc://claim/external', destDir: path.join(models, 'external') });
    assert.equal(external.modelPath, path.join(models, 'external', 'model.onnx'));
  });

  test('a missing model or a bad claim name is refused', async () => {
    const missing = await fetchFails({ uri: 'pvc://claim/fraud/', destDir: path.join(models, 'single') });
    assert.equal(missing.kind, 'NotFound');
    assert.match(missing.message, /single\/model\.onnx does not exist/);
    assert.equal((await fetchFails({ uri: 'pvc://Not_A_Claim/x.onnx', destDir: dest() })).kind, 'InvalidUri');
    assert.equal((await fetchFails({ uri: 'pvc://claim/../x.onnx', destDir: dest() })).kind, 'InvalidUri');
  });
});
