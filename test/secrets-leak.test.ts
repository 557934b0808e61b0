// No secret value ever appears in what the storage and auth suites show a person: it runs
// those suites with $KUBEINFER_CAPTURE_DIR set (their process output, audit lines,
// termination messages, InferenceService status and Events land there; test/capture.ts),
// then looks for every value of test/secret-values.ts, and every token made at run time, in
// all of it. A suite that leaks one fails here even when its own checks miss it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURE_DIR_ENV, readCaptures } from './capture.ts';
import { SECRET_VALUES } from './secret-values.ts';

const SUITES = [
  'test/storage/egress.test.ts',
  'test/operator/secrets.test.ts',
  'test/router/auth-keys.test.ts',
  'test/router/auth-grpc.test.ts',
  'test/router/auth-kubernetes.test.ts',
  'test/local/auth.test.ts',
  'test/runtime/auth.test.ts',
  'test/ship/router-reviewers.test.ts',
];
/** Captures each suite must have left, so that an empty directory cannot pass. */
const EXPECTED_SOURCES = [
  'kubeinfer_fetch-model',
  'fetch-model_termination_message',
  'operator_status_and_events',
  'operator_log',
  'kubeinfer_route',
  'router_gRPC_audit',
  'kubeinfer_run',
  'kubeinfer_serve',
  'operator_chart_',
];
const root = fileURLToPath(new URL('../', import.meta.url));

test('no secret value appears in the logs, status or Events of the storage and auth suites', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-captures-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Without NODE_TEST_CONTEXT: the nested runner reports to us as a plain process, not as our child test file.
  const { NODE_TEST_CONTEXT: _ours, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', '--test-reporter=dot', ...SUITES], {
    cwd: root,
    env: { ...env, [CAPTURE_DIR_ENV]: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];

  const { texts, runtimeSecrets } = readCaptures(dir);
  for (const source of EXPECTED_SOURCES)
    assert.ok(
      [...texts.keys()].some((name) => name.startsWith(source)),
      `nothing captured from ${source}: ${[...texts.keys()].join(', ')}\n${output.slice(-3000)}`,
    );
  assert.ok(runtimeSecrets.length > 0, 'the Kubernetes tokens made at run time are registered');
  const secrets = [...Object.entries(SECRET_VALUES), ...runtimeSecrets.map((value, index) => [`runtime token ${index}`, value] as const)];
  const leaks = [...texts].flatMap(([file, text]) =>
    secrets.filter(([, value]) => text.includes(value)).map(([name]) => `${name} in ${file}`),
  );
  assert.deepEqual(leaks, [], 'secret values shown to a person');
  assert.equal(code, 0, `the suites failed:\n${output.slice(-4000)}`);
});
