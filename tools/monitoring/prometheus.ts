// A real Prometheus (built by build-assets.sh from its Go module) for the monitoring tests and
// the dashboard renderer: static scrape targets on loopback, a short scrape interval, the
// alert rules loaded, and its HTTP query API.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assetPath } from '../cluster/assets.ts';
import { eventually } from '../cluster/eventually.ts';
import { freePort } from '../cluster/index.ts';

/** One scrape job with one target. */
export interface ScrapeTarget {
  readonly job: string;
  /** `host:port` of a /metrics endpoint. */
  readonly address: string;
  /** Target labels, as Kubernetes service discovery would set them (namespace, pod). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Keep the exporter's own labels (e.g. the operator's `namespace`) over the target's. */
  readonly honorLabels?: boolean;
}

/** One series of a query answer: its labels and its samples as [unix seconds, value]. */
export interface Series {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, number])[];
}

/** Prometheus's HTTP query API. */
export interface PrometheusApi {
  readonly url: string;
  /** An instant query at `time` (default now); throws with Prometheus's message when it fails. */
  query(expr: string, time?: number): Promise<Series[]>;
  /** A range query over [start, end] every `stepSeconds`. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Series[]>;
  /** Scrapes completed for every target (the smallest count across targets). */
  scrapesPerTarget(): Promise<number>;
}

export interface PrometheusServer extends PrometheusApi {
  /** Stops Prometheus and removes its data. */
  stop(): Promise<void>;
}

interface ApiAnswer {
  readonly status: 'success' | 'error';
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: unknown };
}

/** Starts Prometheus scraping `targets` every `scrapeIntervalSeconds`, with `ruleFiles` loaded; resolves once it is ready. */
export async function startPrometheus(options: {
  readonly targets: readonly ScrapeTarget[];
  readonly ruleFiles?: readonly string[];
  readonly scrapeIntervalSeconds?: number;
}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: options.targets.map((t) => ({
      job_name: t.job,
      honor_labels: t.honorLabels ?? false,
      static_configs: [{ targets: [t.address], labels: t.labels ?? {} }],
    })),
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  const child = spawn(await assetPath('prometheus'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log.join('')}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined;
    },
    'Prometheus to be ready',
    30_000,
  );
  return {
    ...prometheusApi(url),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The query API of the Prometheus at `url`. */
export function prometheusApi(url: string): PrometheusApi {
  const api = async (path: string, params: Record<string, string>): Promise<Series[]> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    const answer = (await response.json()) as ApiAnswer;
    if (answer.status !== 'success' || answer.data === undefined) throw new Error(`${params.query}: ${answer.error ?? response.status}`);
    return toSeries(answer.data);
  };
  return {
    url,
    query: (expr, time) => api('/api/v1/query', { query: expr, time: String(time ?? Date.now() / 1000) }),
    queryRange: (expr, start, end, step) =>
      api('/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) }),
    async scrapesPerTarget() {
      const counts = await api('/api/v1/query', { query: 'min(count_over_time(up[1h]))' });
      return counts[0]?.values[0]?.[1] ?? 0;
    },
  };
}

/** Vectors and matrices as series; a scalar as one series without labels. */
function toSeries(data: { readonly resultType: string; readonly result: unknown }): Series[] {
  const sample = ([time, value]: readonly [number, string]) => [time, Number(value)] as const;
  if (data.resultType === 'scalar') return [{ metric: {}, values: [sample(data.result as [number, string])] }];
  const result = data.result as { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
  return result.map((r) => ({ metric: r.metric, values: r.values ? r.values.map(sample) : r.value ? [sample(r.value)] : [] }));
}
