// Where fetch-model may send requests. It runs inside the cluster with a URI
// that whoever may create an InferenceService chose, so without limits it is a
// request-forgery tool: a redirect could lead it to another host (with the
// error body read back through the termination message), to the cloud
// metadata service, or make it hand a token to anyone on the path of plain
// http. Redirects are followed by hand so that every hop is checked.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
// undici 8, not Node's bundled fetch: Node 24's undici 7 throws an uncatchable assertion when a
// server closes the connection while a body is paused by backpressure (nodejs/undici#5360).
import { fetch as undiciFetch } from 'undici';
import { redactUri } from '../../../api/redact.ts';
import type { StorageProblem } from '../errors.ts';

/** What fetch-model may do beyond the safe default; every switch is off unless a flag turns it on. */
export interface EgressPolicy {
  /** Follow redirects to another host (host and port); credentials are dropped on the way. */
  readonly allowCrossHostRedirects: boolean;
  /** Connect to link-local addresses (169.254.0.0/16, fe80::/10), which include the cloud metadata services. */
  readonly allowLinkLocal: boolean;
  /** Send credentials (bearer token, basic auth) over plain http. */
  readonly allowPlainHttpCredentials: boolean;
}

/** The policy with only the given switches turned on (an unset switch stays off). */
export function egressPolicy(allowed: Partial<EgressPolicy> = {}): EgressPolicy {
  return {
    allowCrossHostRedirects: allowed.allowCrossHostRedirects === true,
    allowLinkLocal: allowed.allowLinkLocal === true,
    allowPlainHttpCredentials: allowed.allowPlainHttpCredentials === true,
  };
}

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const AWS_IPV6_METADATA = 'fd00:ec2::254';

/** What a storage request may carry: a method, headers and, for token exchanges, a text body. */
export interface EgressInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: string;
}

/** A response, or the reason the request was refused before or between hops. */
export type EgressResult = { readonly ok: true; readonly response: Response } | { readonly ok: false; readonly problem: StorageProblem };

/** fetch() with redirects followed only where the policy allows; throws what fetch throws. */
export async function fetchWithinPolicy(url: string, init: EgressInit, policy: EgressPolicy, signal?: AbortSignal): Promise<EgressResult> {
  const origin = new URL(url);
  let target = origin;
  let headers = new Headers(init.headers);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const refused = await refusedDestination(target, policy);
    if (refused) return { ok: false, problem: { kind: 'Refused', reason: refused } };
    const response = (await undiciFetch(target.href, {
      method: init.method ?? 'GET',
      body: init.body ?? null,
      headers: Object.fromEntries(headers),
      signal: signal ?? null,
      redirect: 'manual',
    })) as unknown as Response;
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null || (init.method ?? 'GET') !== 'GET') return { ok: true, response };
    await response.body?.cancel().catch(() => undefined);
    const next = new URL(location, target);
    if (next.host !== origin.host && !policy.allowCrossHostRedirects) {
      return {
        ok: false,
        problem: {
          kind: 'Refused',
          reason: `${redactUri(target.href)} redirects to another host (${next.host}); pass --allow-cross-host-redirects to follow it`,
        },
      };
    }
    if (next.host !== target.host || (target.protocol === 'https:' && next.protocol === 'http:')) headers = withoutCredentials(headers);
    target = next;
  }
  return { ok: false, problem: { kind: 'HttpError', status: 310, reason: 'too many redirects' } };
}

/** Why credentials may not go to this URL, or undefined when they may. */
export function plainHttpCredentialsProblem(url: URL, what: string, policy: EgressPolicy): StorageProblem | undefined {
  if (url.protocol !== 'http:' || policy.allowPlainHttpCredentials) return undefined;
  return {
    kind: 'Refused',
    reason: `refusing to send ${what} over plain http to ${url.host}; use https, or pass --allow-plain-http-credentials`,
  };
}

async function refusedDestination(url: URL, policy: EgressPolicy): Promise<string | undefined> {
  if (policy.allowLinkLocal) return undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  // DNS is asked here and again by fetch; a name that changes its answer in between is not caught (documented).
  const addresses = isIP(hostname)
    ? [hostname]
    : await lookup(hostname, { all: true }).then(
        (found) => found.map((entry) => entry.address),
        () => [],
      );
  const linkLocal = addresses.find(isLinkLocal);
  return linkLocal === undefined
    ? undefined
    : `${url.host} is the link-local address ${linkLocal} (cloud metadata services live there); pass --allow-link-local to reach it`;
}

function isLinkLocal(address: string): boolean {
  const lower = address.toLowerCase();
  const mapped = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  if (isIP(mapped) === 4) return mapped.startsWith('169.254.');
  return /^fe[89ab]/.test(lower) || lower === AWS_IPV6_METADATA;
}

function withoutCredentials(headers: Headers): Headers {
  const copy = new Headers(headers);
  copy.delete('authorization');
  copy.delete('cookie');
  return copy;
}
