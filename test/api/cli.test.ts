// `kubeinfer validate` as CI runs it: the real CLI process, files, directories, stdin,
// exit codes, and every problem printed with its file, line and field path.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { badCases } from './corpus.ts';
import { kubeinfer } from './run-cli.ts';

describe('kubeinfer validate', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeinfer-validate-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts the examples directory and exits 0', async () => {
    const run = await kubeinfer(['validate', '-f', 'examples']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /InferenceServices in \d+ files: valid/u);
  });

  it('prints every problem of the bad corpus with file, line and path, and exits 1', async () => {
    const run = await kubeinfer(['validate', '-f', 'test/api/corpus/bad']);
    assert.equal(run.code, 1);
    for (const bad of badCases()) {
      const lines = run.stdout.split('\n').filter((line) => line.startsWith(`${bad.path}:`));
      assert.ok(
        lines.some((line) => line.includes(bad.expect)),
        `${bad.path}: "${bad.expect}" not in\n${lines.join('\n')}`,
      );
    }
    assert.match(
      run.stdout,
      /test\/api\/corpus\/bad\/weights-over-100\.yaml:8: InferenceService fraud: spec\.versions: Invalid value: version weights must sum to 100/u,
    );
  });

  it('reads stdin with -f - and writes JSON with -o json', async () => {
    const bad = badCases().find((file) => file.path.endsWith('gpu-mig-format.yaml'));
    assert.ok(bad);
    const run = await kubeinfer(['validate', '-f', '-', '-o', 'json'], bad.text);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { inferenceServices: number; problems: { file: string; path: string; message: string }[] };
    assert.equal(report.inferenceServices, 1);
    assert.deepEqual(
      report.problems.map(({ file, path }) => ({ file, path })),
      [{ file: '<stdin>', path: 'spec.gpu.mig' }],
    );
  });

  it('walks subdirectories only with -R and fails when it finds nothing to check', async () => {
    const nested = join(dir, 'apps', 'fraud');
    await mkdir(nested, { recursive: true });
    await writeFile(join(nested, 'isvc.yaml'), badCases()[0]?.text ?? '');
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    const flat = await kubeinfer(['validate', '-f', dir]);
    assert.equal(flat.code, 1);
    assert.match(flat.stdout, /no InferenceService found in 0 files/u);
    const recursive = await kubeinfer(['validate', '-R', '-f', dir]);
    assert.equal(recursive.code, 1);
    assert.match(recursive.stdout, /apps\/fraud\/isvc\.yaml:\d+: InferenceService fraud:/u);
  });

  it('exits 2 on a missing file or an unknown output format', async () => {
    const missing = await kubeinfer(['validate', '-f', join(dir, 'absent.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stdout, /absent\.yaml: no such file or directory/u);
    const format = await kubeinfer(['validate', '-f', 'examples', '-o', 'xml']);
    assert.equal(format.code, 2);
  });
});
