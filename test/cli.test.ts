import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));

test('kubeinfer --help lists every subcommand', () => {
  const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  for (const command of [
    'run',
    'serve',
    'route',
    'fetch-model',
    'validate',
    'operator',
    'render',
    'status',
    'promote',
    'rollback',
    'rollout',
  ]) {
    assert.match(help, new RegExp(`^  ${command}\\b`, 'm'), `missing ${command}`);
  }
});
