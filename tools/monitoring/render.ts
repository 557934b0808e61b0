// Renders a shipped Grafana dashboard to a PNG from a live Prometheus: the same queries with
// the same variable substitution as Grafana, laid out on Grafana's 24-column grid, drawn as
// SVG and rasterised by sharp. For looking at a dashboard with real data without a Grafana.
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { barGauge, frame, heatmap, stat, text, THEME, timeSeries, type Box, type Line } from './draw.ts';
import type { PrometheusApi, Series } from './prometheus.ts';
import { resolveVariables, substitute, type Dashboard, type Panel, type VariableValues } from './queries.ts';

const WIDTH = 1600;
const ROW_HEIGHT = 30;
const HEADER = 56;

export interface RenderOptions {
  /** Where the PNG goes. */
  readonly out: string;
  /** Single-value variables to pick when Prometheus has them (else the first value). */
  readonly preferred?: Readonly<Record<string, string>>;
  /** What $__rate_interval stands for. */
  readonly rateInterval?: string;
  /** The time range drawn, ending now. */
  readonly rangeSeconds?: number;
}

/** Draws every panel of `dashboard`; says which panels had no data to draw. */
export async function renderDashboard(
  dashboard: Dashboard,
  prometheus: PrometheusApi,
  options: RenderOptions,
): Promise<{ readonly emptyPanels: readonly string[] }> {
  const values = await resolveVariables(dashboard, prometheus, options.preferred);
  const end = Date.now() / 1000;
  const range = { start: end - (options.rangeSeconds ?? 120), end };
  const unit = WIDTH / 24;
  const height = HEADER + Math.max(...dashboard.panels.map((p) => p.gridPos.y + p.gridPos.h)) * ROW_HEIGHT + 8;
  const parts: string[] = [];
  const emptyPanels: string[] = [];
  for (const panel of dashboard.panels) {
    const box: Box = {
      x: panel.gridPos.x * unit + 4,
      y: HEADER + panel.gridPos.y * ROW_HEIGHT + 4,
      w: panel.gridPos.w * unit - 8,
      h: panel.gridPos.h * ROW_HEIGHT - 8,
    };
    const lines = await panelLines(panel, prometheus, values, options.rateInterval ?? '1m', range);
    if (lines.length === 0) emptyPanels.push(panel.title);
    const { svg, content } = frame(box, panel.title);
    parts.push(svg, drawPanel(panel, content, lines));
  }
  const chosen = [...values].map(([name, v]) => `${name}: ${v.join(', ')}`).join('   ');
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="100%" height="100%" fill="${THEME.page}"/>`,
    text(12, 26, dashboard.title, 20, THEME.text, 'start', 'bold'),
    text(
      12,
      46,
      `${chosen}   (${new Date(range.start * 1000).toISOString()} .. ${new Date(range.end * 1000).toISOString()})`,
      12,
      THEME.muted,
    ),
    ...parts,
    '</svg>',
  ].join('\n');
  await writeFile(options.out, await sharp(Buffer.from(svg)).png().toBuffer());
  return { emptyPanels };
}

function drawPanel(panel: Panel, box: Box, lines: readonly Line[]): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  if (panel.type === 'stat') return stat(box, lines, unit);
  if (panel.type === 'bargauge') return barGauge(box, lines, unit);
  if (panel.type === 'heatmap') return heatmap(box, lines);
  return timeSeries(box, lines, unit);
}

/** Every target's series: over the range for time series and heatmaps, at the end for stats and bars. */
async function panelLines(
  panel: Panel,
  prometheus: PrometheusApi,
  values: VariableValues,
  rateInterval: string,
  range: { start: number; end: number },
): Promise<Line[]> {
  const instant = panel.type === 'stat' || panel.type === 'bargauge';
  const step = Math.max(1, Math.round((range.end - range.start) / 120));
  const lines: Line[] = [];
  for (const target of panel.targets) {
    const expr = substitute(target.expr, values, rateInterval);
    const series = instant ? await prometheus.query(expr, range.end) : await prometheus.queryRange(expr, range.start, range.end, step);
    // Prometheus answers in no fixed order; versions read best in order (v1, v2, ...).
    const named = series.map((s) => ({ name: legend(target.legendFormat, s), points: s.values }));
    lines.push(...named.sort((a, b) => a.name.localeCompare(b.name)));
  }
  return panel.type === 'heatmap' ? perBucket(lines) : lines.filter((l) => l.points.some(([, v]) => Number.isFinite(v)));
}

function legend(format: string | undefined, series: Series): string {
  if (!format) return JSON.stringify(series.metric);
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_text, label: string) => series.metric[label] ?? '');
}

/** Cumulative `le` buckets (named by their bound) as counts per bucket, lowest bound first, +Inf dropped when empty. */
function perBucket(cumulative: readonly Line[]): Line[] {
  const bound = (le: string) => (le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le));
  const sorted = [...cumulative].sort((a, b) => bound(a.name) - bound(b.name));
  const rows = sorted.map((line, i) => {
    const below = new Map(i === 0 ? [] : sorted[i - 1]!.points.map(([t, v]) => [t, v] as const));
    return { name: line.name, points: line.points.map(([t, v]) => [t, Math.max(0, v - (below.get(t) ?? 0))] as const) };
  });
  return rows.filter((row) => row.name !== '+Inf' || row.points.some(([, v]) => v > 0));
}
