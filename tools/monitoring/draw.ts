// SVG drawing of dashboard panels in Grafana's dark theme: time series with axes and a
// legend, stats, bar gauges and a bucket heatmap. Pure: data in, SVG text out.

/** A drawn line or value: its legend text and its samples as [unix seconds, value]. */
export interface Line {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export const THEME = { page: '#111217', panel: '#181b1f', border: '#2c3235', text: '#ccccdc', muted: '#8e8e8e', grid: '#2c3235' };
const PALETTE = ['#73bf69', '#f2cc0c', '#5794f2', '#ff9830', '#f2495c', '#b877d9', '#8ab8ff', '#96d98d', '#ffb357', '#ca95e5'];
const FONT = 'DejaVu Sans, sans-serif';

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export function text(x: number, y: number, content: string, size: number, fill = THEME.text, anchor = 'start', weight = 'normal'): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${size}" fill="${fill}" text-anchor="${anchor}" font-weight="${weight}">${escapeXml(content)}</text>`;
}

/** A value in the panel's Grafana unit, short enough for an axis or a legend. */
export function formatValue(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return '-';
  const short = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  switch (unit) {
    case 'percentunit':
      return `${short(value * 100)}%`;
    case 'percent':
      return `${short(value)}%`;
    case 's':
      if (value === 0) return '0 s';
      if (Math.abs(value) < 1e-3) return `${short(value * 1e6)} µs`;
      return Math.abs(value) < 1 ? `${short(value * 1e3)} ms` : `${short(value)} s`;
    case 'reqps':
      return `${short(value)} req/s`;
    case 'ops':
      return `${short(value)} ops/s`;
    default:
      return short(value);
  }
}

/** Panel frame and title; returns the SVG and the box left for the content. */
export function frame(box: Box, title: string): { svg: string; content: Box } {
  const svg = [
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="3" fill="${THEME.panel}" stroke="${THEME.border}"/>`,
    text(box.x + 10, box.y + 20, title, 14, THEME.text, 'start', 'bold'),
  ].join('');
  return { svg, content: { x: box.x + 10, y: box.y + 32, w: box.w - 20, h: box.h - 40 } };
}

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 2.5, 5, 10].find((step) => step * magnitude >= max) ?? 10) * magnitude;
}

const clock = (seconds: number) => new Date(seconds * 1000).toISOString().slice(11, 19);

/** Lines over time with a y axis from 0, time labels, and a legend of last values beneath. */
export function timeSeries(box: Box, lines: readonly Line[], unit: string | undefined): string {
  const legendRows = Math.ceil(lines.length / 2);
  const plot = { x: box.x + 64, y: box.y + 4, w: box.w - 70, h: box.h - 26 - legendRows * 16 };
  const all = lines.flatMap((l) => l.points).filter(([, v]) => Number.isFinite(v));
  if (all.length === 0) return text(box.x + box.w / 2, box.y + box.h / 2, 'No data', 14, THEME.muted, 'middle');
  const [t0, t1] = [Math.min(...all.map(([t]) => t)), Math.max(...all.map(([t]) => t))];
  const top = niceMax(Math.max(...all.map(([, v]) => v)));
  const px = (t: number) => plot.x + (t1 === t0 ? plot.w / 2 : ((t - t0) / (t1 - t0)) * plot.w);
  const py = (v: number) => plot.y + plot.h - (v / top) * plot.h;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i += 1) {
    const v = (top * i) / 4;
    parts.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${py(v)}" y2="${py(v)}" stroke="${THEME.grid}"/>`);
    parts.push(text(plot.x - 6, py(v) + 4, formatValue(v, unit), 10, THEME.muted, 'end'));
  }
  for (const t of [t0, (t0 + t1) / 2, t1]) parts.push(text(px(t), plot.y + plot.h + 14, clock(t), 10, THEME.muted, 'middle'));
  lines.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const points = line.points.filter(([, v]) => Number.isFinite(v));
    const path = points.map(([t, v]) => `${px(t).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    if (points.length === 1) parts.push(`<circle cx="${px(points[0]![0])}" cy="${py(points[0]![1])}" r="2.5" fill="${color}"/>`);
    else parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    const last = points.at(-1)?.[1] ?? Number.NaN;
    const lx = box.x + (i % 2) * (box.w / 2);
    const ly = plot.y + plot.h + 32 + Math.floor(i / 2) * 16;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="12" height="3" fill="${color}"/>`);
    parts.push(text(lx + 16, ly, `${line.name}  ${formatValue(last, unit)}`, 11));
  });
  return parts.join('');
}

/** One big value per line (its last point), side by side. */
export function stat(box: Box, lines: readonly Line[], unit: string | undefined): string {
  if (lines.length === 0) return text(box.x + box.w / 2, box.y + box.h / 2, 'No data', 14, THEME.muted, 'middle');
  const w = box.w / lines.length;
  return lines
    .map((line, i) => {
      const cx = box.x + w * i + w / 2;
      const value = formatValue(line.points.at(-1)?.[1] ?? Number.NaN, unit);
      return (
        text(cx, box.y + box.h / 2 + 8, value, 30, PALETTE[i % PALETTE.length], 'middle', 'bold') +
        text(cx, box.y + box.h / 2 + 30, line.name, 12, THEME.muted, 'middle')
      );
    })
    .join('');
}

/** Horizontal bars, one per line, scaled to the largest last value. */
export function barGauge(box: Box, lines: readonly Line[], unit: string | undefined): string {
  const values = lines.map((l) => l.points.at(-1)?.[1] ?? 0);
  const top = Math.max(...values, 0) || 1;
  const rowH = Math.min(28, box.h / Math.max(lines.length, 1));
  return lines
    .map((line, i) => {
      const y = box.y + i * rowH;
      const barW = ((box.w - 170) * values[i]!) / top;
      return (
        text(box.x, y + rowH / 2 + 4, line.name, 12) +
        `<rect x="${box.x + 60}" y="${y + 4}" width="${Math.max(barW, 1).toFixed(1)}" height="${rowH - 8}" fill="${PALETTE[i % PALETTE.length]}"/>` +
        text(box.x + box.w, y + rowH / 2 + 4, formatValue(values[i]!, unit), 12, THEME.text, 'end')
      );
    })
    .join('');
}

/** Buckets (bottom to top) over time; `rows` are per-bucket counts, already de-accumulated. */
export function heatmap(box: Box, rows: readonly Line[]): string {
  const times = [...new Set(rows.flatMap((r) => r.points.map(([t]) => t)))].sort((a, b) => a - b);
  const max = Math.max(...rows.flatMap((r) => r.points.map(([, v]) => v)), 0) || 1;
  const labelW = 40;
  const cellW = (box.w - labelW) / Math.max(times.length, 1);
  const cellH = (box.h - 16) / Math.max(rows.length, 1);
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = box.y + (rows.length - 1 - i) * cellH;
    parts.push(text(box.x + labelW - 6, y + cellH / 2 + 4, row.name, 10, THEME.muted, 'end'));
    for (const [t, v] of row.points) {
      if (!(v > 0)) continue;
      const x = box.x + labelW + times.indexOf(t) * cellW;
      const opacity = (0.15 + 0.85 * (v / max)).toFixed(2);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(cellW + 0.5).toFixed(1)}" height="${(cellH - 1).toFixed(1)}" fill="#5794f2" fill-opacity="${opacity}"/>`,
      );
    }
  });
  if (times.length > 0)
    for (const t of [times[0]!, times.at(-1)!])
      parts.push(
        text(
          box.x + labelW + (t === times[0] ? 0 : box.w - labelW),
          box.y + box.h - 2,
          clock(t),
          10,
          THEME.muted,
          t === times[0] ? 'start' : 'end',
        ),
      );
  return parts.join('');
}
