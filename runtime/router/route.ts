// Which version serves a request: pinned by path (`/v2/models/{m}/versions/{v}/...`), by a
// gRPC message's model_version field, or by
// the `x-kubeinfer-version` header, otherwise the next pick of the weighted balancer (one
// for inference calls, one for reads, so polling readiness never skews the inference split).
// Pure apart from advancing the balancer; the hot path calls it once per request.
import type { RoutingTable } from './table.ts';

/** Request header (and response header) naming the version. */
export const VERSION_HEADER = 'x-kubeinfer-version';

export type Route =
  | { readonly kind: 'proxy'; readonly version: string; readonly pinned: boolean }
  | { readonly kind: 'reject'; readonly status: number; readonly message: string };

export interface PathTarget {
  readonly model?: string;
  readonly version?: string;
}

/** Resolves the version for a request (method, URL with query, pin header). */
export function resolveRoute(method: string | undefined, url: string, pinHeader: string | undefined, table: RoutingTable): Route {
  const target = parseTarget(url);
  if (target === undefined) return reject(404, `no route for ${pathOf(url)}: this router serves the /v2 and /v1 inference APIs`);
  return pickVersion(target, method === 'POST', pinHeader, table);
}

/**
 * The version for a request naming `target` (model and pinned version, either optional);
 * `inference` calls and reads are split by separate balancers. gRPC calls come here with the
 * target read from their message's leading fields.
 */
export function pickVersion(target: PathTarget, inference: boolean, pinHeader: string | undefined, table: RoutingTable): Route {
  const model = table.config.model;
  if (target.model !== undefined && target.model !== model && safeDecode(target.model) !== model) {
    return reject(404, `model "${target.model}" is not served here; this endpoint serves model "${model}"`);
  }
  const pin = target.version ?? pinHeader;
  if (target.version !== undefined && pinHeader !== undefined && pinHeader !== target.version) {
    return reject(400, `the request pins version "${target.version}" but the ${VERSION_HEADER} header asks for "${pinHeader}"`);
  }
  if (pin !== undefined) {
    if (table.targets.has(pin)) return { kind: 'proxy', version: pin, pinned: true };
    return reject(404, `version "${pin}" of model "${model}" is not served here (versions: ${[...table.targets.keys()].join(', ')})`);
  }
  const version = (inference ? table.balancer : table.readBalancer).next();
  if (version === undefined) return reject(503, `no version of model "${model}" has a weight above 0`);
  return { kind: 'proxy', version, pinned: false };
}

/** Extracts model and version from V2/V1 paths; undefined for paths outside both APIs. */
function parseTarget(url: string): PathTarget | undefined {
  const path = pathOf(url);
  if (path.startsWith('/v2/models/')) {
    const rest = path.slice('/v2/models/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return { model: rest };
    const model = rest.slice(0, slash);
    if (!rest.startsWith('/versions/', slash)) return { model };
    const tail = rest.slice(slash + '/versions/'.length);
    const end = tail.indexOf('/');
    return { model, version: safeDecode(end < 0 ? tail : tail.slice(0, end)) };
  }
  if (path.startsWith('/v1/models/')) {
    const rest = path.slice('/v1/models/'.length);
    const end = rest.search(/[/:]/);
    return { model: end < 0 ? rest : rest.slice(0, end) };
  }
  if (path === '/v2' || path.startsWith('/v2/') || path.startsWith('/v1/')) return {};
  return undefined;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function reject(status: number, message: string): Route {
  return { kind: 'reject', status, message };
}
