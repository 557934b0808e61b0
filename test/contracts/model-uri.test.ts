// The model-URI contract on its own: every scheme parsed once, and where a pvc:// model
// sits once its claim is mounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelUri, pvcMount } from '../../contracts/index.ts';

test('parseModelUri accepts every scheme and refuses the rest with a reason', () => {
  assert.deepEqual(parseModelUri('s3://models/fraud/1/model.onnx'), {
    ok: true,
    value: { scheme: 's3', bucket: 'models', key: 'fraud/1/model.onnx' },
  });
  assert.deepEqual(parseModelUri('gs://models'), { ok: true, value: { scheme: 'gs', bucket: 'models', object: '' } });
  assert.deepEqual(parseModelUri('pvc://claim/a/b/'), { ok: true, value: { scheme: 'pvc', claim: 'claim', path: 'a/b' } });
  assert.deepEqual(parseModelUri('file://m/x%20y.onnx', '/base'), { ok: true, value: { scheme: 'file', path: '/base/m/x y.onnx' } });
  const http = parseModelUri('https://u:p%40ss@host/m.onnx#frag');
  assert.ok(http.ok && http.value.scheme === 'http');
  assert.equal(http.value.url.href, 'https://host/m.onnx');
  assert.deepEqual(http.value.userinfo, { username: 'u', password: 'p@ss' });
  for (const [uri, reason] of [
    ['ftp://host/m.onnx', /unsupported scheme "ftp:\/\/"/],
    ['models/m.onnx', /not a URI/],
    ['s3://Bad_Bucket!/k', /not a valid bucket name/],
    ['s3://bucket/a/../b.onnx', /"\." or "\.\." segments/],
    ['pvc:///x', /not a valid PersistentVolumeClaim name/],
    ['pvc://claim/a/../x.onnx', /"\." or "\.\." segments/],
  ] as const) {
    const parsed = parseModelUri(uri);
    assert.ok(
      !parsed.ok && parsed.problem.kind === 'InvalidUri' && reason.test(parsed.problem.reason),
      `${uri}: ${JSON.stringify(parsed)}`,
    );
  }
});

test('maps a pvc:// URI to the claim, sub-path and model file that are mounted', () => {
  const mount = (uri: string) => {
    const parsed = parseModelUri(uri);
    assert.ok(parsed.ok && parsed.value.scheme === 'pvc');
    return pvcMount(parsed.value);
  };
  assert.deepEqual(mount('pvc://models/fraud/1/fraud.onnx'), { claimName: 'models', subPath: 'fraud/1', modelFile: 'fraud.onnx' });
  assert.deepEqual(mount('pvc://models/fraud/1/'), { claimName: 'models', subPath: 'fraud/1', modelFile: 'model.onnx' });
  assert.deepEqual(mount('pvc://models/model.onnx'), { claimName: 'models', subPath: '', modelFile: 'model.onnx' });
  assert.deepEqual(mount('pvc://models'), { claimName: 'models', subPath: '', modelFile: 'model.onnx' });
  // Formerly the operator's own parser (claimLocation); its cases hold for the shared one.
  assert.deepEqual(mount('pvc://models/fraud/v2'), { claimName: 'models', subPath: 'fraud/v2', modelFile: 'model.onnx' });
  // The two cases on which the operator and fetch-model used to disagree.
  assert.deepEqual(mount('pvc://models/fraud/MODEL.ONNX'), { claimName: 'models', subPath: 'fraud', modelFile: 'MODEL.ONNX' });
  assert.deepEqual(mount('pvc://models//a/model.onnx'), { claimName: 'models', subPath: 'a', modelFile: 'model.onnx' });
});
