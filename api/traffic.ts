// How resolved versions share live traffic, in the forms the status, the CLI and the
// router configuration print. A leaf module (types only), so the router loads it alone.
import type { ResolvedVersion } from './resolve.ts';

/** The mirror target of resolved versions and its share, if there is one. */
export function mirrorOf(
  versions: readonly Pick<ResolvedVersion, 'name' | 'mirrorPercent'>[],
): { readonly version: string; readonly percent: number } | undefined {
  const target = versions.find((version) => version.mirrorPercent > 0);
  return target === undefined ? undefined : { version: target.name, percent: target.mirrorPercent };
}

/** `v1=90,v2=10` plus `v3=mirror:20` for a mirror target: the printer column's text. */
export function formatTrafficSummary(
  versions: readonly { readonly name: string; readonly weight: number }[],
  mirror?: { readonly version: string; readonly percent: number },
): string {
  const parts = versions.map((version) =>
    version.name === mirror?.version ? `${version.name}=mirror:${mirror.percent}` : `${version.name}=${version.weight}`,
  );
  return parts.join(',');
}
