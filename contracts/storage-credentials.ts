// Storage credentials between the operator and fetch-model: where the Secret named by
// spec.storage.secretRef is mounted, which keys fetch-model reads from it, and which
// keys each scheme needs (the operator checks a Secret against them before any pod
// starts, so a missing key becomes a Stalled condition instead of a failing init container).

/** Where the operator mounts `spec.storage.secretRef` in the fetch-model container. */
export const CREDENTIALS_DIR = '/var/run/secrets/kubeinfer/storage';

/** The Secret keys (and environment variables) fetch-model understands. */
export const CREDENTIAL_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_S3_FORCE_PATH_STYLE',
  'HTTP_BEARER_TOKEN',
  'HTTP_USERNAME',
  'HTTP_PASSWORD',
  'GCS_ENDPOINT_URL',
  'STORAGE_EMULATOR_HOST',
  'service-account.json',
] as const;

export type CredentialKey = (typeof CREDENTIAL_KEYS)[number];

/** Keys that hold settings, not secrets: the operator may quote their values (an endpoint, a region) in status. */
export const CREDENTIAL_SETTINGS: readonly CredentialKey[] = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_S3_FORCE_PATH_STYLE',
  'GCS_ENDPOINT_URL',
  'STORAGE_EMULATOR_HOST',
];

/** Keys that only work together: a Secret with one of a pair and not the other is incomplete. */
export const CREDENTIAL_PAIRS: readonly (readonly [CredentialKey, CredentialKey])[] = [
  ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
  ['HTTP_USERNAME', 'HTTP_PASSWORD'],
];

/** The keys a Secret must hold for a scheme (when one is named at all), and how to say so. */
export const REQUIRED_CREDENTIALS: Readonly<Record<string, { readonly keys: readonly CredentialKey[]; readonly hint: string }>> = {
  s3: { keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], hint: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' },
  gs: { keys: ['service-account.json'], hint: 'service-account.json' },
};
