// The chart's alert rules under promtool (built from Prometheus's Go module): the file is a
// valid rule file, and every alert has cases that fire and resolve as intended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { assetPath } from '../../tools/cluster/assets.ts';
import { ALERT_RULES_FILE, loadAlertRules } from '../../tools/monitoring/queries.ts';

const run = promisify(execFile);
const CASES = fileURLToPath(new URL('./alerts.promtool.yaml', import.meta.url));

interface AlertCase {
  readonly alertname: string;
  readonly eval_time: string;
  readonly exp_alerts: readonly unknown[];
}

test('promtool check rules accepts the rule file', async () => {
  const { stdout } = await run(await assetPath('promtool'), ['check', 'rules', ALERT_RULES_FILE]);
  assert.match(stdout, new RegExp(`SUCCESS: ${loadAlertRules().length} rules found`));
});

test('every alert has a case where it fires and a later one where it has resolved', () => {
  const cases = (parse(readFileSync(CASES, 'utf8')) as { tests: { alert_rule_test: AlertCase[] }[] }).tests.flatMap(
    (t) => t.alert_rule_test,
  );
  const minutes = (time: string) => Number.parseInt(time, 10);
  for (const { alert } of loadAlertRules()) {
    const mine = cases.filter((c) => c.alertname === alert);
    const fired = mine.filter((c) => c.exp_alerts.length > 0).map((c) => minutes(c.eval_time));
    const quiet = mine.filter((c) => c.exp_alerts.length === 0).map((c) => minutes(c.eval_time));
    assert.ok(fired.length > 0, `${alert}: no case where it fires`);
    assert.ok(
      quiet.some((t) => t < Math.min(...fired)),
      `${alert}: no case before it fires`,
    );
    assert.ok(
      quiet.some((t) => t > Math.max(...fired)),
      `${alert}: no case after it resolves`,
    );
  }
});

test('promtool test rules: every case passes', async () => {
  const result = await run(await assetPath('promtool'), ['test', 'rules', CASES]).catch(
    (error: { stdout: string; stderr: string }) => error,
  );
  assert.match(result.stdout, /SUCCESS/, result.stdout + result.stderr);
});
