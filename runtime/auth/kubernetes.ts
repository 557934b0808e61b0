// `spec.auth.mode: kubernetes`: callers present a Kubernetes bearer token (a
// ServiceAccount token, projected or from `kubectl create token`). A
// TokenReview says who it is; a SubjectAccessReview says whether that identity
// may `infer` (and, for a weight-0 version, `pin`) on this InferenceService,
// so access is granted with ordinary RBAC:
//   rules: [{apiGroups: [serving.kubeinfer.io], resources: [inferenceservices], resourceNames: [fraud], verbs: [infer]}]
//
// Both answers are cached for CACHE_TTL_MS. Ten seconds is short enough that
// revoking a RoleBinding or deleting a ServiceAccount takes effect about as
// fast as a person can check it, and long enough that a busy client costs one
// review per ten seconds instead of two per request (the kube-apiserver's own
// webhook caches hold answers for minutes). The caches are bounded; the oldest
// entries go first.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

export const CACHE_TTL_MS = 10_000;
const CACHE_ENTRIES = 10_000;
const API_GROUP = 'serving.kubeinfer.io';
const RESOURCE = 'inferenceservices';

/** Who a token belongs to, as the apiserver says. */
export interface KubernetesIdentity {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

/** What is asked of the RBAC authorizer: a verb on the InferenceService, or GET on a non-resource path (`/metrics`). */
export type KubernetesAccess = { readonly verb: 'infer' | 'pin' } | { readonly path: string };

export interface KubernetesReviews {
  /** The identity of a token, or undefined when the apiserver does not accept it. */
  authenticate(token: string): Promise<KubernetesIdentity | undefined>;
  allowed(identity: KubernetesIdentity, access: KubernetesAccess): Promise<boolean>;
}

/** Reviews against the apiserver of `kubeConfig`, for the InferenceService `namespace/name`. */
export function kubernetesReviews(kubeConfig: KubeConfig, namespace: string, name: string, ttlMs = CACHE_TTL_MS): KubernetesReviews {
  const authn = kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const identities = new TtlCache<KubernetesIdentity | undefined>(ttlMs);
  const decisions = new TtlCache<boolean>(ttlMs);
  return {
    authenticate: (token) =>
      identities.get(sha256(token), async () => {
        const review = await authn.createTokenReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
        });
        const user = review.status?.user;
        if (review.status?.authenticated !== true || user?.username === undefined) return undefined;
        return { username: user.username, ...(user.uid === undefined ? {} : { uid: user.uid }), groups: user.groups ?? [] };
      }),
    allowed: (identity, access) =>
      decisions.get(
        `${identity.username}\u0000${identity.groups.join(',')}\u0000${'verb' in access ? access.verb : access.path}`,
        async () => {
          const review = await authz.createSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: {
                user: identity.username,
                ...(identity.uid === undefined ? {} : { uid: identity.uid }),
                groups: [...identity.groups],
                ...('verb' in access
                  ? { resourceAttributes: { namespace, name, group: API_GROUP, resource: RESOURCE, verb: access.verb } }
                  : { nonResourceAttributes: { path: access.path, verb: 'get' } }),
              },
            },
          });
          return review.status?.allowed === true;
        },
      ),
  };
}

/** A bounded map of recent answers; concurrent misses for one key share a single lookup. */
class TtlCache<T> {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { value: Promise<T>; expiresAt: number }>();
  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    this.#entries.delete(key);
    if (this.#entries.size >= CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    const value = load();
    this.#entries.set(key, { value, expiresAt: now + this.#ttlMs });
    value.catch(() => this.#entries.delete(key)); // a failed review is asked again, not remembered
    return value;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
