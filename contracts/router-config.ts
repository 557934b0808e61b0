// The router's configuration: which versions of one model exist, where they listen and
// what share of traffic each gets. The operator writes it into a ConfigMap; local mode
// writes it into a file; the router parses it. Parsing is strict so that a bad edit is
// refused as a whole and the router keeps serving with the last good configuration.
import { mirrorOf } from '../api/traffic.ts';
import { DNS_LABEL } from '../api/names.ts';

/** The ConfigMap key (and local-mode file name) that holds the router configuration. */
export const ROUTER_CONFIG_KEY = 'router.json';

/** One backend: a version of the model and the base URL of its Service. */
export interface RouterVersion {
  readonly name: string;
  /** Percent of weighted (unpinned) traffic, an integer 0..100. */
  readonly weight: number;
  /** Base URL, `http://host:port`; request paths are appended unchanged. */
  readonly url: string;
  /** The version's gRPC endpoint, `http://host:port` (h2c); without it, gRPC calls cannot reach this version. */
  readonly grpcUrl?: string;
}

/** Shadow traffic: a share of weighted requests is copied to one version, and its answers are compared with the live ones. */
export interface RouterMirror {
  readonly version: string;
  /** Percent of weighted inference requests copied, an integer 0..100. */
  readonly percent: number;
  /** How far a mirrored output value may be from the live one and still match; the router's default when absent. */
  readonly tolerance?: { readonly absolute: number; readonly relative: number };
}

/** The whole configuration, as in DESIGN.md "Router configuration". */
export interface RouterConfig {
  readonly model: string;
  readonly versions: readonly RouterVersion[];
  readonly mirror: RouterMirror | null;
}

export type ConfigResult =
  | { readonly ok: true; readonly value: RouterConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

const VERSION_NAME = new RegExp(DNS_LABEL, 'u');

/** Parses router configuration JSON text. */
export function parseRouterConfigText(text: string): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`configuration is not valid JSON: ${(error as Error).message}`] };
  }
  return parseRouterConfig(raw);
}

/** Checks a decoded configuration object and returns it typed, or every problem found. */
export function parseRouterConfig(raw: unknown): ConfigResult {
  if (!isRecord(raw)) return { ok: false, problems: ['configuration must be a JSON object'] };
  const problems: string[] = [];
  if (typeof raw.model !== 'string' || raw.model === '') problems.push('model: must be a non-empty string');
  const versions = parseVersions(raw.versions, problems);
  const mirror = parseMirror(raw.mirror, versions, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { model: raw.model as string, versions, mirror } };
}

function parseVersions(raw: unknown, problems: string[]): RouterVersion[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('versions: must be a non-empty array');
    return [];
  }
  const versions: RouterVersion[] = [];
  raw.forEach((entry: unknown, i) => {
    const version = parseVersion(entry, `versions[${i}]`, problems);
    if (version === undefined) return;
    if (versions.some((v) => v.name === version.name)) problems.push(`versions[${i}].name: duplicate version "${version.name}"`);
    versions.push(version);
  });
  const total = versions.reduce((sum, v) => sum + v.weight, 0);
  if (versions.length === raw.length && total !== 100) problems.push(`versions: weights must sum to 100, got ${total}`);
  return versions;
}

function parseVersion(raw: unknown, path: string, problems: string[]): RouterVersion | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  const before = problems.length;
  const { name, weight, url, grpcUrl } = raw;
  if (typeof name !== 'string' || !VERSION_NAME.test(name)) problems.push(`${path}.name: must be a DNS label such as "v1"`);
  if (!isPercent(weight)) problems.push(`${path}.weight: must be an integer from 0 to 100`);
  const urlProblem = checkBackendUrl(url);
  if (urlProblem !== undefined) problems.push(`${path}.url: ${urlProblem}`);
  const grpcProblem = grpcUrl === undefined ? undefined : checkBackendUrl(grpcUrl);
  if (grpcProblem !== undefined) problems.push(`${path}.grpcUrl: ${grpcProblem}`);
  if (problems.length > before) return undefined;
  const base = { name: name as string, weight: weight as number, url: (url as string).replace(/\/+$/, '') };
  return grpcUrl === undefined ? base : { ...base, grpcUrl: (grpcUrl as string).replace(/\/+$/, '') };
}

function parseMirror(raw: unknown, versions: readonly RouterVersion[], problems: string[]): RouterMirror | null {
  if (raw === null || raw === undefined) return null;
  if (!isRecord(raw)) {
    problems.push('mirror: must be an object or null');
    return null;
  }
  const { version, percent, tolerance } = raw;
  if (typeof version !== 'string' || !versions.some((v) => v.name === version)) {
    problems.push(`mirror.version: must name one of the versions (${versions.map((v) => v.name).join(', ')})`);
  }
  if (!isPercent(percent)) problems.push('mirror.percent: must be an integer from 0 to 100');
  if (tolerance === undefined) return { version: version as string, percent: percent as number };
  if (!isRecord(tolerance) || !isNonNegative(tolerance.absolute) || !isNonNegative(tolerance.relative)) {
    problems.push('mirror.tolerance: must be {"absolute": <number >= 0>, "relative": <number >= 0>}');
    return null;
  }
  return {
    version: version as string,
    percent: percent as number,
    tolerance: { absolute: tolerance.absolute, relative: tolerance.relative },
  };
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function checkBackendUrl(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return 'must be a string such as "http://fraud-v1.ml.svc:80"';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (url.protocol !== 'http:') return `"${raw}" must use http:// (backends are in-cluster Services or local runtimes)`;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return `"${raw}" must be a base URL without a path or query`;
  return undefined;
}

function isPercent(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renders a configuration as the canonical JSON text the operator and local mode write. */
export function formatRouterConfig(config: RouterConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** What the builder needs of a version: the resolved weight and mirror share (see `resolveVersions`). */
export interface RoutedVersion {
  readonly name: string;
  readonly weight: number;
  readonly mirrorPercent: number;
}

/** Where one version listens: its HTTP base URL and, when it serves gRPC, that base URL too. */
export interface VersionEndpoints {
  readonly url: string;
  readonly grpcUrl?: string;
}

/**
 * The configuration for one model's resolved versions, given where each version listens; the
 * mirror is the resolved one unless a rollout's shadow replaces it.
 * @example
 * buildRouterConfig('fraud', resolveVersions(spec), (version) => ({ url: `http://fraud-${version}.ml.svc:80` }));
 */
export function buildRouterConfig(
  model: string,
  versions: readonly RoutedVersion[],
  endpointsOf: (version: string) => VersionEndpoints,
  mirror?: RouterMirror,
): RouterConfig {
  return {
    model,
    versions: versions.map((version) => ({ name: version.name, weight: version.weight, ...endpointsOf(version.name) })),
    mirror: mirror ?? mirrorOf(versions) ?? null,
  };
}
