// The queries the shipped dashboards and alert rules run, read from the chart's files, with
// Grafana's template variables replaced the way Grafana replaces them: what the monitoring
// test runs against a real Prometheus and what the dashboard renderer draws.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { PrometheusApi } from './prometheus.ts';

const CHART_DIR = fileURLToPath(new URL('../../charts/kubeinfer/', import.meta.url));
export const DASHBOARD_DIR = join(CHART_DIR, 'dashboards');
export const ALERT_RULES_FILE = join(CHART_DIR, 'alerts', 'kubeinfer-alerts.yaml');

export interface PanelTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
}

export interface Panel {
  readonly id: number;
  readonly title: string;
  readonly type: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets: readonly PanelTarget[];
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
}

interface Variable {
  readonly name: string;
  readonly type: string;
  readonly multi?: boolean;
  readonly query?: { readonly query: string };
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
}

/** Every dashboard shipped in the chart, by file name. */
export function loadDashboards(): Map<string, Dashboard> {
  const files = readdirSync(DASHBOARD_DIR).filter((name) => name.endsWith('.json'));
  return new Map(files.map((name) => [name, JSON.parse(readFileSync(join(DASHBOARD_DIR, name), 'utf8')) as Dashboard]));
}

/** Every alerting rule of the shipped rule file. */
export function loadAlertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERT_RULES_FILE, 'utf8')) as { groups: { rules: (AlertRule | { record: string })[] }[] };
  return file.groups.flatMap((group) => group.rules.filter((rule): rule is AlertRule => 'alert' in rule));
}

/** Variable name -> the values chosen; several values make a regex alternation, as Grafana's multi-value does. */
export type VariableValues = ReadonlyMap<string, readonly string[]>;

/**
 * Replaces `$name` and `${name}` with the chosen values and `$__rate_interval` with `rateInterval`;
 * throws on a variable the dashboard does not define (it would reach Prometheus as text).
 * @example substitute('up{ns=~"$namespace"}[$__rate_interval]', new Map([['namespace', ['demo']]]), '1m')
 */
export function substitute(expr: string, values: VariableValues, rateInterval: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (_text, name: string) => {
    if (name === '__rate_interval') return rateInterval;
    const chosen = values.get(name);
    if (chosen === undefined || chosen.length === 0) throw new Error(`${expr}: no value for $${name}`);
    return chosen.length === 1 ? chosen[0]! : `(${chosen.join('|')})`;
  });
}

/**
 * The values of a dashboard's query variables, each `label_values(selector, label)` asked of
 * Prometheus with the earlier variables substituted. A single-value variable takes the
 * `preferred` value when Prometheus has it, else the first; a multi-value one takes them all.
 */
export async function resolveVariables(
  dashboard: Dashboard,
  prometheus: PrometheusApi,
  preferred: Readonly<Record<string, string>> = {},
): Promise<Map<string, string[]>> {
  const values = new Map<string, string[]>();
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query') continue;
    const query = variable.query?.query ?? '';
    const match = /^label_values\((.+),\s*(\w+)\)$/s.exec(query);
    if (!match) throw new Error(`variable ${variable.name}: only label_values(selector, label) is supported, not ${query}`);
    const [, selector, label] = match;
    const series = await prometheus.query(`group by (${label}) (${substitute(selector!, values, '1m')})`);
    const found = series.map((s) => s.metric[label!] ?? '').filter((value) => value !== '');
    const wanted = preferred[variable.name];
    const chosen = variable.multi ? found.sort() : wanted !== undefined && found.includes(wanted) ? [wanted] : found.slice(0, 1);
    values.set(variable.name, chosen);
  }
  return values;
}

/**
 * The alert expression with every comparison against a number made a 0/1 answer (`> 0.05`
 * becomes `> bool 0.05`): it returns a series wherever the alert is evaluated, firing (1) or
 * not (0), so an empty answer means the expression matches nothing at all.
 */
export function alertSignal(expr: string): string {
  return expr.replace(/(==|!=|>=|<=|>|<)(\s*)(?=-?[0-9.]+\b)/g, '$1 bool$2');
}
