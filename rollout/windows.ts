// Reading routers' figures and turning successive reads into per-interval figures. The
// previous reads live in memory only: after a restart the first read starts a fresh
// interval, which delays a verdict by one interval and never skips a step.
import { ROUTER_STATS_PATH, sinceRead, sumFigures, type RouterFigures, type VersionFigures } from './figures.ts';

/** Each router replica's figures by replica name, or why they could not be read. */
export type FiguresRead =
  | { readonly ok: true; readonly value: ReadonlyMap<string, RouterFigures> }
  | { readonly ok: false; readonly error: string };

const READ_TIMEOUT_MS = 3_000;

/** GET <url>/router/stats of one router, or why it failed. */
export async function readRouterFigures(url: string): Promise<RouterFigures | string> {
  try {
    const response = await fetch(`${url}${ROUTER_STATS_PATH}`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    if (!response.ok) return `GET ${ROUTER_STATS_PATH} answered ${response.status}`;
    return (await response.json()) as RouterFigures;
  } catch (error) {
    return `GET ${url}${ROUTER_STATS_PATH} failed: ${(error as Error).message}`;
  }
}

/**
 * Reads several routers (by replica name -> where to read it, a base URL unless `read` says
 * otherwise); one failure fails the read, so no interval is judged on part of the traffic.
 */
export async function readRouters(
  targets: readonly (readonly [string, string])[],
  read: (where: string) => Promise<RouterFigures | string> = readRouterFigures,
): Promise<FiguresRead> {
  if (targets.length === 0) return { ok: false, error: 'no router pod is running' };
  const reads = await Promise.all(targets.map(async ([name, where]) => [name, await read(where)] as const));
  const failed = reads.find(([, read]) => typeof read === 'string');
  if (failed !== undefined) return { ok: false, error: `router ${failed[0]}: ${failed[1] as string}` };
  return { ok: true, value: new Map(reads as (readonly [string, RouterFigures])[]) };
}

/** The last read of each rollout's routers, to difference the next one against. */
export class FigureWindows {
  readonly #last = new Map<string, ReadonlyMap<string, RouterFigures>>();

  /** Figures since the previous read of `key` (summed over replicas), or null when there was none. */
  window(key: string, reads: ReadonlyMap<string, RouterFigures>): Readonly<Record<string, VersionFigures>> | null {
    const before = this.#last.get(key);
    this.#last.set(key, reads);
    if (before === undefined) return null;
    const deltas = [...reads].map(([replica, now]) => ({
      model: now.model,
      versions: Object.fromEntries(
        Object.entries(now.versions).map(([version, figures]) => [version, sinceRead(figures, before.get(replica)?.versions[version])]),
      ),
    }));
    return sumFigures(deltas);
  }

  forget(key: string): void {
    this.#last.delete(key);
  }
}
