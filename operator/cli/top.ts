// `kubeinfer top <name>`: an InferenceService's live figures per version, read from its
// router pods through the apiserver's pod proxy (only a kubeconfig needed), or with
// `--url` from one router directly (local mode's). Every interval it reads the routers'
// counters again and shows what happened in between; `--once` shows one interval and exits.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RouterFigures } from '../../rollout/figures.ts';
import { FigureWindows, readRouterFigures } from '../../rollout/windows.ts';
import type { ClusterFlags } from './cluster.ts';
import { formatTop, versionRows, type Replicas } from './top-table.ts';

export interface TopFlags extends ClusterFlags {
  /** A router's base URL (local mode), instead of an InferenceService in the cluster. */
  readonly url?: string;
  /** Seconds between reads. */
  readonly interval: string;
  readonly once?: boolean;
}

/** One read of every router replica, plus the replicas each version has (when known). */
export interface Snapshot {
  readonly routers: ReadonlyMap<string, RouterFigures>;
  readonly replicas: ReadonlyMap<string, Replicas>;
}

export interface TopSource {
  readonly name: string;
  read(): Promise<Snapshot | string>;
}

const NO_REPLICAS: ReadonlyMap<string, Replicas> = new Map();

function localSource(url: string): TopSource {
  return {
    name: url,
    async read() {
      const figures = await readRouterFigures(url.replace(/\/+$/, ''));
      return typeof figures === 'string' ? figures : { routers: new Map([['router', figures]]), replicas: NO_REPLICAS };
    },
  };
}

/** The weights the routers have in force (replicas agree once a configuration has spread). */
function declaredWeights(routers: ReadonlyMap<string, RouterFigures>): Readonly<Record<string, number>> {
  return routers.values().next().value?.weights ?? {};
}

function parseInterval(raw: string): number | undefined {
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 3600 ? seconds : undefined;
}

/** Exit codes: 0 shown, 1 unreadable (cluster or router), 2 bad flags or kubeconfig. */
export async function topCommand(name: string | undefined, flags: TopFlags): Promise<number> {
  const seconds = parseInterval(flags.interval);
  if (seconds === undefined) return fail(`--interval must be a number of seconds from 0.1 to 3600, got "${flags.interval}"`, 2);
  if ((name === undefined) === (flags.url === undefined))
    return fail('give an InferenceService name (read through the cluster), or --url <router> (local mode), not both', 2);
  // The cluster path loads client-node; local mode does without it.
  const source = flags.url === undefined ? await (await import('./top-cluster.ts')).clusterSource(name!, flags) : localSource(flags.url);
  if (typeof source === 'number') return source;
  return watch(source, seconds, flags.once === true);
}

/** Reads `source` every `seconds` and prints each interval's table until Ctrl-C (with `once`, the first one only). */
async function watch(source: TopSource, seconds: number, once: boolean): Promise<number> {
  const windows = new FigureWindows();
  const first = await source.read();
  if (typeof first === 'string') return fail(first, 1);
  windows.window(source.name, first.routers);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let readAt = performance.now();
  while (!stop.signal.aborted) {
    await sleep(seconds * 1000, undefined, { signal: stop.signal }).catch(() => {});
    if (stop.signal.aborted) break;
    const snapshot = await source.read();
    const now = performance.now();
    if (typeof snapshot === 'string') {
      if (once) return fail(snapshot, 1);
      process.stdout.write(`${new Date().toISOString()} ${snapshot}\n`);
      continue;
    }
    const window = windows.window(source.name, snapshot.routers) ?? {};
    const rows = versionRows(window, (now - readAt) / 1000, declaredWeights(snapshot.routers), snapshot.replicas);
    readAt = now;
    const routers = `${snapshot.routers.size} router${snapshot.routers.size === 1 ? '' : 's'}`;
    const text = formatTop(`${source.name}: ${routers}, last ${seconds}s, ${new Date().toISOString()}`, rows);
    if (once) {
      process.stdout.write(text);
      return 0;
    }
    // On a terminal the view redraws in place; piped, each interval is appended.
    process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : `${text}\n`);
  }
  return 0;
}

function fail(message: string, code: 1 | 2): number {
  process.stderr.write(`error: ${message}\n`);
  return code;
}
