// The shipped dashboards and alert rules against a real Prometheus scraping local mode under
// load and an operator on a real control plane: every panel query and every alert expression
// returns data, the alerts whose conditions the stack creates (503s shed, a rejected router
// configuration, a reconcile refused by a quota) evaluate as firing, the others as quiet, and
// every dashboard renders to a picture.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { eventually } from '../../tools/cluster/eventually.ts';
import { alertSignal, loadAlertRules, loadDashboards, resolveVariables, substitute } from '../../tools/monitoring/queries.ts';
import { renderDashboard } from '../../tools/monitoring/render.ts';
import type { Series } from '../../tools/monitoring/prometheus.ts';
import { NAMESPACE, NO_ROOM, SERVICE, startMonitoredStack, type MonitoredStack } from './stack.ts';

// Grafana's $__rate_interval for a 15 s scrape; here it spans ~60 scrapes of the 1 s interval.
const RATE_INTERVAL = '1m';
const PREFERRED = { namespace: NAMESPACE, inferenceservice: SERVICE };

let stack: MonitoredStack;
before(async () => {
  stack = await startMonitoredStack(24);
  // Every target scraped often enough for rates and increases over the load.
  await eventually(
    async () => ((await stack.prometheus.scrapesPerTarget()) >= 20 ? true : undefined),
    '20 scrapes of every target',
    60_000,
  );
});
after(() => stack?.stop());

const hasFiniteValue = (series: readonly Series[]) => series.some((s) => s.values.some(([, value]) => Number.isFinite(value)));

test('every dashboard panel query returns data', async () => {
  const empty: string[] = [];
  let queries = 0;
  for (const [file, dashboard] of loadDashboards()) {
    const values = await resolveVariables(dashboard, stack.prometheus, PREFERRED);
    if (values.has('namespace')) assert.deepEqual(values.get('namespace'), [NAMESPACE], file);
    if (values.has('inferenceservice')) assert.deepEqual(values.get('inferenceservice'), [SERVICE], file);
    if (values.has('version')) assert.deepEqual(values.get('version'), ['v1', 'v2', 'v3'], file);
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, `${file} panel "${panel.title}" has no query`);
      for (const target of panel.targets) {
        queries += 1;
        const expr = substitute(target.expr, values, RATE_INTERVAL);
        if (!hasFiniteValue(await stack.prometheus.query(expr))) empty.push(`${file} "${panel.title}" ${target.refId}: ${expr}`);
      }
    }
  }
  assert.deepEqual(empty, [], `queries without data:\n${empty.join('\n')}`);
  assert.ok(queries >= 25, `only ${queries} panel queries ran`);
  // The quota refuses its Deployment: the desired count comes from the operator's plan, and nothing runs.
  const refused = await stack.prometheus.query(`kubeinfer_inferenceservice_replicas{namespace="${NO_ROOM}"}`);
  assert.deepEqual(Object.fromEntries(refused.map((s) => [s.metric.state, s.values[0]?.[1]])), { desired: 1, current: 0, ready: 0 });
});

test('every alert expression evaluates, with data, firing where the stack made its condition', async () => {
  const rules = loadAlertRules();
  const signals = new Map<string, Series[]>();
  for (const rule of rules) {
    await stack.prometheus.query(rule.expr); // the expression as Prometheus evaluates it must not error
    const signal = await stack.prometheus.query(alertSignal(rule.expr));
    assert.ok(signal.length > 0, `${rule.alert}: no series for ${alertSignal(rule.expr)}`);
    signals.set(rule.alert, signal);
  }
  const firing = (alert: string, labels: Readonly<Record<string, string>> = {}) =>
    (signals.get(alert) ?? []).some((s) => s.values[0]?.[1] === 1 && Object.entries(labels).every(([k, v]) => s.metric[k] === v));
  assert.ok(firing('KubeinferRequestsShed', { namespace: NAMESPACE, model: SERVICE, version: 'v1' }), 'v1 shed 503s');
  assert.ok(firing('KubeinferRouterConfigRejected', { pod: `${SERVICE}-router-b` }), 'router-b rejected its configuration');
  assert.ok(!firing('KubeinferRouterConfigRejected', { pod: `${SERVICE}-router-a` }), 'router-a took its configuration');
  assert.ok(firing('KubeinferOperatorReconcileErrors', { reason: 'Forbidden' }), 'the quota refused a Deployment');
  assert.ok(!firing('KubeinferModelNotReady'), 'every model is loaded');
  assert.ok(!firing('KubeinferRolloutAborted'), 'no rollout ran');
  assert.ok(!firing('KubeinferLatencySLOBurn'), 'a linear model answers well within 0.5 s');
  // The alert rules are loaded into this Prometheus too (rule_files), and evaluate without error.
  const health = (await (await fetch(`${stack.prometheus.url}/api/v1/rules?type=alert`)).json()) as {
    data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
  };
  const loaded = health.data.groups.flatMap((g) => g.rules);
  assert.deepEqual(loaded.map((r) => r.name).sort(), rules.map((r) => r.alert).sort());
  await eventually(
    async () => {
      const again = (await (await fetch(`${stack.prometheus.url}/api/v1/rules?type=alert`)).json()) as typeof health;
      const bad = again.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
      return bad.length === 0 ? true : undefined;
    },
    'every loaded alert rule to report health ok',
    10_000,
  );
});

test('every dashboard renders with the scraped data', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-render-'));
  try {
    for (const [file, dashboard] of loadDashboards()) {
      const out = join(dir, file.replace(/\.json$/, '.png'));
      const drawn = await renderDashboard(dashboard, stack.prometheus, { out, preferred: PREFERRED, rateInterval: RATE_INTERVAL });
      assert.equal(drawn.emptyPanels.length, 0, `${file}: panels drawn without data: ${drawn.emptyPanels.join(', ')}`);
      const image = await sharp(out).metadata();
      assert.equal(image.format, 'png');
      assert.ok((image.width ?? 0) >= 1200, `width ${image.width}`);
      // Kept for a person to look at when asked for.
      const keep = process.env.KUBEINFER_DASHBOARD_PNGS;
      if (keep) await copyFile(out, join(keep, basename(out)));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
