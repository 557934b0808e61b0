// Pure parts of the runtime: FP16 conversion, CPU budget and settings resolution (the
// batching scheduler has its own file, scheduler.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupCpuLimit } from '../../runtime/engine/cpus.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { halfToNumber, numberToHalf } from '../../runtime/server/fp16.ts';

test('FP16 conversion is exact for representable values and rounds to nearest even', () => {
  for (const [value, bits] of [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [0, 0],
    [2 ** -24, 1],
    [Infinity, 0x7c00],
  ] as const) {
    assert.equal(numberToHalf(value), bits, `${value}`);
    assert.equal(halfToNumber(bits), value);
  }
  assert.equal(numberToHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to the even mantissa');
  assert.equal(numberToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(numberToHalf(1e6), 0x7c00, 'overflow becomes infinity');
  assert.ok(Number.isNaN(halfToNumber(numberToHalf(NaN))));
  assert.equal(halfToNumber(numberToHalf(-0)), -0);
});

test('the cgroup CPU limit caps thread planning', () => {
  assert.equal(cgroupCpuLimit('max 100000\n'), undefined);
  assert.equal(cgroupCpuLimit('150000 100000'), 2);
  assert.equal(cgroupCpuLimit('50000 100000'), 1);
  assert.equal(cgroupCpuLimit('garbage'), undefined);
});

test('settings: flags win over KUBEINFER_* variables, which win over defaults', () => {
  const resolved = resolveServeConfig(
    { workers: '3' },
    {
      KUBEINFER_MODEL_PATH: '/mnt/models/model.onnx',
      KUBEINFER_MODEL_NAME: 'fraud',
      KUBEINFER_WORKERS: '2',
      KUBEINFER_MAX_BATCH_SIZE: '16',
    },
  );
  assert.ok(resolved.ok);
  assert.equal(resolved.config.workers, 3);
  assert.equal(resolved.config.maxBatchSize, 16);
  assert.equal(resolved.config.port, 8080);
  assert.equal(resolved.config.modelVersion, '1');
  assert.equal(resolved.config.maxRequestBytes, 64 * 1024 * 1024);
  assert.equal(resolved.config.executionProvider, 'cpu');
});
