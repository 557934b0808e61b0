// `npm test`: typecheck, lint and format check, then node's built-in test runner over every test file.
// Arguments narrow the run to paths containing any of them: `npm test -- runtime`; the checks
// before it always cover the whole tree (they take seconds, the tests minutes).
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

const typecheck = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`, '--noEmit'], {
  stdio: 'inherit',
});
if (typecheck.status !== 0) {
  console.error('typecheck failed');
  process.exit(typecheck.status ?? 1);
}

// Formatting and lint rules, as `npm run lint` checks them (without --write, biome changes nothing).
const lint = spawnSync(process.execPath, [`${root}node_modules/@biomejs/biome/bin/biome`, 'check', '--diagnostic-level=error', '.'], {
  cwd: root,
  stdio: 'inherit',
});
if (lint.status !== 0) {
  console.error('lint failed: `npm run lint` lists the problems; `npx biome check --write .` fixes formatting and the safe ones');
  process.exit(lint.status ?? 1);
}

const files = globSync('test/**/*.test.ts', { cwd: root })
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}

const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-timeout=900000', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
