// The tables bench/peers.ts prints: every cell (median over repetitions), kubeinfer's ratios
// to the bare stack and to each peer, the health probe under saturation, and the compressed
// models against FP32.
import type { LoadResult } from './load.ts';

/** Every repetition of one server (row) at one model and concurrency. */
export interface Cell {
  readonly model: string;
  readonly concurrency: number;
  readonly row: string;
  readonly reps: LoadResult[];
}

export interface Summary {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Summed over repetitions: one failed request anywhere shows. */
  readonly errors: number;
  readonly cpuMicros: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Medians of req/s, p50 and p99 over the repetitions; errors summed. */
export function summarizeCell(cell: Cell): Summary {
  return {
    rps: median(cell.reps.map((rep) => rep.rps)),
    p50Ms: median(cell.reps.map((rep) => rep.p50Ms)),
    p99Ms: median(cell.reps.map((rep) => rep.p99Ms)),
    errors: cell.reps.reduce((sum, rep) => sum + rep.errors, 0),
    cpuMicros: median(cell.reps.map((rep) => rep.cpuMicros ?? NaN)),
  };
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`;
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const rule = (columns: number) => row(Array.from({ length: columns }, () => '---'));

function find(cells: readonly Cell[], model: string, concurrency: number, name: string): Summary | undefined {
  const cell = cells.find((c) => c.model === model && c.concurrency === concurrency && c.row === name);
  return cell === undefined ? undefined : summarizeCell(cell);
}

/** Every cell with its ratio to the bare stack at the same model and concurrency. */
export function cellTable(cells: readonly Cell[]): string[] {
  const head = ['model', 'c', 'server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/s ÷ bare', 'server CPU µs/req', 'CPU/req ÷ bare'];
  return [
    row(head),
    rule(head.length),
    ...cells.map((cell) => {
      const summary = summarizeCell(cell);
      const bare = find(cells, cell.model, cell.concurrency, 'bare');
      const values = [fixed(summary.rps, 0), fixed(summary.p50Ms, 2), fixed(summary.p99Ms, 2), summary.errors];
      const cpu = [fixed(summary.cpuMicros, 0), ratio(summary.cpuMicros, bare?.cpuMicros)];
      return row([cell.model, cell.concurrency, cell.row, ...values, ratio(summary.rps, bare?.rps), ...cpu]);
    }),
  ];
}

/** kubeinfer's req/s divided by the bare stack's and each peer's, per model and concurrency. */
export function ratioTable(cells: readonly Cell[], kubeinferRows: readonly string[], peers: readonly string[]): string[] {
  const head = ['model', 'c', 'kubeinfer', '÷ bare', ...peers.map((peer) => `÷ ${peer}`)];
  const lines = [row(head), rule(head.length)];
  const points = [...new Map(cells.map((cell) => [`${cell.model}/${cell.concurrency}`, cell])).values()];
  for (const { model, concurrency } of points) {
    for (const name of kubeinferRows) {
      const ours = find(cells, model, concurrency, name)?.rps;
      if (ours === undefined) continue;
      const against = ['bare', ...peers].map((other) => ratio(ours, find(cells, model, concurrency, other)?.rps));
      lines.push(row([model, concurrency, name, ...against]));
    }
  }
  return lines;
}

export interface CompressedRow {
  readonly variant: string;
  readonly sizeKiB: number;
  readonly maxAbsError: number;
  readonly argmaxAgreement: number;
  readonly cells: readonly Cell[];
}

/** Throughput and accuracy of each compressed variant against FP32's row at the same concurrency. */
export function compressedTable(rows: readonly CompressedRow[]): string[] {
  const head = ['variant', 'size KiB', 'c', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'req/s ÷ fp32', 'max abs error', 'argmax agreement'];
  const lines = [row(head), rule(head.length)];
  const fp32 = rows.find((r) => r.variant === 'fp32');
  for (const variant of rows) {
    for (const cell of variant.cells) {
      const summary = summarizeCell(cell);
      const base = fp32?.cells.find((c) => c.concurrency === cell.concurrency);
      const values = [fixed(summary.rps, 0), fixed(summary.p50Ms, 2), fixed(summary.p99Ms, 2), summary.errors];
      const accuracy = [variant.maxAbsError.toExponential(1), `${(variant.argmaxAgreement * 100).toFixed(1)}%`];
      const vsFp32 = ratio(summary.rps, base === undefined ? undefined : summarizeCell(base).rps);
      lines.push(row([variant.variant, variant.sizeKiB, cell.concurrency, ...values, vsFp32, ...accuracy]));
    }
  }
  return lines;
}
