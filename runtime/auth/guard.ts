// Who may call: the one decision the router (and a directly exposed `serve`)
// makes before anything else, for either mode. 401 (with WWW-Authenticate) for
// a missing or bad credential, 403 for a valid one without the right, both as
// `{"error": ...}`; the credential itself is never logged or forwarded.
import type { ServerResponse } from 'node:http';
import type { ApiKeyStore } from './api-keys.ts';
import type { KubernetesReviews } from './kubernetes.ts';

/** What a request wants: inference (pinning a weight-0 version or not), or figures (`path`: /metrics or /router/stats). */
export type Access = { readonly kind: 'infer'; readonly pinsWeightZero: boolean } | { readonly kind: 'metrics'; readonly path: string };

/** Request headers, HTTP/1.1 or HTTP/2 (where gRPC metadata lives); only the credential headers are read. */
export type CredentialHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type AccessDecision =
  | { readonly allowed: true; readonly caller: string }
  | { readonly allowed: false; readonly status: 401 | 403 | 503; readonly message: string; readonly caller?: string };

export interface AccessGuard {
  readonly mode: 'apiKey' | 'kubernetes';
  check(headers: CredentialHeaders, access: Access): Promise<AccessDecision>;
}

const CHALLENGE = 'Bearer realm="kubeinfer"';

/**
 * Callers present one of the keys, as `Authorization: Bearer <key>` or `x-api-key: <key>`. Any key
 * may infer; pinning a weight-0 version needs the key's scope `pin`, protected figures its scope `metrics`.
 */
export function apiKeyGuard(keys: ApiKeyStore): AccessGuard {
  return {
    mode: 'apiKey',
    async check(headers, access) {
      const presented = bearerToken(headers) ?? single(headers['x-api-key']);
      if (presented === undefined) return unauthenticated('missing credential: send Authorization: Bearer <key> or x-api-key: <key>');
      const key = await keys.match(presented);
      if (key === undefined) return unauthenticated('invalid API key');
      const caller = `apikey:${key.id}`;
      if (access.kind === 'metrics' && !key.scopes.has('metrics'))
        return forbidden(caller, `${caller} may not get ${access.path} (the key needs the scope metrics)`);
      if (access.kind === 'infer' && access.pinsWeightZero && !key.scopes.has('pin'))
        return forbidden(caller, `${caller} may not pin a version with weight 0 (the key needs the scope pin)`);
      return { allowed: true, caller };
    },
  };
}

/** Callers present a Kubernetes token; RBAC on the InferenceService decides (`infer`, plus `pin` for a weight-0 version). */
export function kubernetesGuard(reviews: KubernetesReviews, inferenceService: string): AccessGuard {
  return {
    mode: 'kubernetes',
    async check(headers, access) {
      const token = bearerToken(headers);
      if (token === undefined) return unauthenticated('missing credential: send Authorization: Bearer <Kubernetes token>');
      try {
        const identity = await reviews.authenticate(token);
        if (identity === undefined) return unauthenticated('the token is not valid for this cluster');
        const caller = identity.username;
        if (access.kind === 'metrics') {
          return (await reviews.allowed(identity, { path: access.path }))
            ? { allowed: true, caller }
            : forbidden(caller, `${caller} may not get ${access.path}`);
        }
        if (!(await reviews.allowed(identity, { verb: 'infer' })))
          return forbidden(caller, `${caller} may not infer on inferenceservices/${inferenceService}`);
        if (access.pinsWeightZero && !(await reviews.allowed(identity, { verb: 'pin' }))) {
          return forbidden(
            caller,
            `${caller} may not pin a version with weight 0 of inferenceservices/${inferenceService} (needs the verb pin)`,
          );
        }
        return { allowed: true, caller };
      } catch (error) {
        return {
          allowed: false,
          status: 503,
          message: `cannot review the credential with the Kubernetes API: ${(error as Error).message}`,
        };
      }
    },
  };
}

/** Answers a refused request; a 401 carries the challenge. */
export function sendDenied(
  res: ServerResponse,
  decision: Extract<AccessDecision, { allowed: false }>,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify({ error: decision.message });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  };
  if (decision.status === 401) headers['www-authenticate'] = CHALLENGE;
  if (decision.status === 503) headers['retry-after'] = '1';
  res.writeHead(decision.status, headers).end(body);
}

/** Headers that carry a caller's credentials: never sent on to a backend or the mirror. */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'cookie', 'proxy-authorization'];

function bearerToken(headers: CredentialHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(single(headers.authorization) ?? '');
  return match?.[1];
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function unauthenticated(message: string): AccessDecision {
  return { allowed: false, status: 401, message };
}

function forbidden(caller: string, message: string): AccessDecision {
  return { allowed: false, status: 403, message, caller };
}
