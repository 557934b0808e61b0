// Google service-account keys -> OAuth2 access tokens with the JWT bearer grant
// (RFC 7523), signed RS256 with node:crypto: the same exchange Google's client
// libraries make, without their dependency tree. The token endpoint is the key's own
// `token_uri`, so a key file can point at any compatible endpoint.
import { sign } from 'node:crypto';
import { fail, ok, type Result, type StorageProblem } from '../errors.ts';
import type { Credential } from '../credentials.ts';
import { fetchText } from './request.ts';
import type { SourceContext } from './source.ts';

export const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const LIFETIME_SECONDS = 3600;

/** The fields of a service-account key file that the grant uses. */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly privateKeyId: string | null;
  readonly tokenUri: string;
}

/** Reads a service-account key file; describes what is wrong without echoing it. */
export function parseServiceAccountKey(credential: Credential): Result<ServiceAccountKey> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(credential.value) as Record<string, unknown>;
  } catch {
    return fail({ kind: 'InvalidArgument', reason: `${credential.source} is not valid JSON` });
  }
  const { client_email: clientEmail, private_key: privateKey, private_key_id: keyId, token_uri: tokenUri } = json;
  if (json.type !== 'service_account' || typeof clientEmail !== 'string' || typeof privateKey !== 'string') {
    return fail({
      kind: 'InvalidArgument',
      reason: `${credential.source} is not a service-account key (needs type "service_account", client_email and private_key)`,
    });
  }
  return ok({
    clientEmail,
    privateKey,
    privateKeyId: typeof keyId === 'string' ? keyId : null,
    tokenUri: typeof tokenUri === 'string' ? tokenUri : DEFAULT_TOKEN_URI,
  });
}

/** A signed JWT assertion for the key, valid for one hour from `nowSeconds`. */
export function signAssertion(key: ServiceAccountKey, nowSeconds: number, scope: string = READ_ONLY_SCOPE): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope, aud: key.tokenUri, iat: nowSeconds, exp: nowSeconds + LIFETIME_SECONDS };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), key.privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** An access token that renews itself five minutes before it expires. */
export interface TokenSource {
  token(): Promise<Result<string>>;
}

/** Exchanges the key for tokens at its token endpoint. */
export function serviceAccountTokens(key: ServiceAccountKey, credential: Credential, context: SourceContext): TokenSource {
  let cached: { token: string; expiresAt: number } | null = null;
  return {
    async token() {
      if (cached && cached.expiresAt - 300_000 > Date.now()) return ok(cached.token);
      const now = Math.floor(Date.now() / 1000);
      const body = new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: signAssertion(key, now),
      }).toString();
      const described = `service-account key ${key.clientEmail} from ${credential.source}`;
      const text = await fetchText(
        async () => ({
          url: key.tokenUri,
          init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
        }),
        context,
        { what: `token from ${key.tokenUri}`, credentials: described, errorReason: oauthError },
      );
      if (!text.ok) return fail(tokenProblem(text.problem, key.tokenUri, described));
      const parsed = parseTokenResponse(text.value);
      if (typeof parsed.access_token !== 'string')
        return fail({ kind: 'AccessDenied', status: 200, reason: `${key.tokenUri} returned no access_token`, credentials: described });
      const lifetime = typeof parsed.expires_in === 'number' ? parsed.expires_in : LIFETIME_SECONDS;
      cached = { token: parsed.access_token, expiresAt: Date.now() + lifetime * 1000 };
      return ok(cached.token);
    },
  };
}

function parseTokenResponse(text: string): { access_token?: unknown; expires_in?: unknown } {
  try {
    return JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
  } catch {
    return {};
  }
}

function oauthError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    return [parsed.error, parsed.error_description].filter((part) => typeof part === 'string').join(': ');
  } catch {
    return body.slice(0, 200);
  }
}

function tokenProblem(problem: StorageProblem, tokenUri: string, described: string): StorageProblem {
  // The token endpoint answers a bad key with 400 invalid_grant: that is a credential problem.
  if (problem.kind === 'HttpError' || problem.kind === 'NotFound') {
    return {
      kind: 'AccessDenied',
      status: problem.kind === 'HttpError' ? problem.status : 404,
      reason: `token endpoint ${tokenUri} refused the key: ${problem.reason}`,
      credentials: described,
    };
  }
  if (problem.kind === 'AccessDenied') return { ...problem, reason: `token endpoint ${tokenUri} refused the key: ${problem.reason}` };
  return problem;
}
