// Runs Triton's perf_analyzer (PyPI perf-analyzer) against a kubeinfer server and reads its
// CSV report. PERF_ANALYZER names the command to run (default: perf_analyzer on PATH).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface PerfAnalyzerRow {
  readonly concurrency: number;
  readonly inferPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly serverQueueUs: number;
  readonly serverComputeUs: number;
}

export type PerfAnalyzerResult =
  | { readonly ok: true; readonly rows: readonly PerfAnalyzerRow[] }
  | { readonly ok: false; readonly reason: string };

export interface PerfAnalyzerRun {
  readonly hostPort: string;
  readonly model: string;
  readonly batch: number;
  readonly concurrency: readonly number[];
  /** Requests counted per measurement window. */
  readonly requestCount: number;
}

/** The perf_analyzer command line (PERF_ANALYZER may hold a wrapper with arguments). */
function command(): [string, string[]] {
  const [cmd, ...args] = (process.env.PERF_ANALYZER ?? 'perf_analyzer').split(' ').filter(Boolean);
  return [cmd!, args];
}

function parseCsv(text: string): PerfAnalyzerRow[] {
  const [head, ...lines] = text.trim().split('\n');
  const columns = head!.split(',');
  const col = (row: string[], name: string) => Number(row[columns.indexOf(name)]);
  return lines.map((line) => {
    const row = line.split(',');
    return {
      concurrency: col(row, 'Concurrency'),
      inferPerSecond: col(row, 'Inferences/Second'),
      p50Us: col(row, 'p50 latency'),
      p99Us: col(row, 'p99 latency'),
      serverQueueUs: col(row, 'Server Queue'),
      serverComputeUs: col(row, 'Server Compute Input') + col(row, 'Server Compute Infer') + col(row, 'Server Compute Output'),
    };
  });
}

/** Runs perf_analyzer once per concurrency level (HTTP, binary tensors, count windows). */
export async function runPerfAnalyzer(run: PerfAnalyzerRun): Promise<PerfAnalyzerResult> {
  const [cmd, prefix] = command();
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-pa-'));
  const rows: PerfAnalyzerRow[] = [];
  try {
    for (const concurrency of run.concurrency) {
      const csv = join(dir, `c${concurrency}.csv`);
      await promisify(execFile)(
        cmd,
        [
          ...prefix,
          '-m',
          run.model,
          '-u',
          run.hostPort,
          '-i',
          'http',
          '-b',
          String(run.batch),
          '--concurrency-range',
          String(concurrency),
          '--measurement-mode',
          'count_windows',
          '--measurement-request-count',
          String(run.requestCount),
          // The stability check is relaxed: on a shared host three windows rarely agree within 50%.
          '--stability-percentage',
          '999',
          '--max-trials',
          '3',
          '-f',
          csv,
        ],
        { timeout: 120_000, maxBuffer: 16 << 20 },
      );
      rows.push(...parseCsv(readFileSync(csv, 'utf8')));
    }
    return { ok: true, rows };
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
    const detail = (stderr || stdout || message).trim().split('\n').slice(-2).join(' ');
    return { ok: false, reason: `${cmd}: ${detail}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
