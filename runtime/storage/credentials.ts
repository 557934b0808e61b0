// Storage credentials: one file per key in the mounted Secret, or environment
// variables of the same name. A file wins over the environment because the Secret is
// what the InferenceService named explicitly. Values never leave this module in
// messages: problems describe a credential by its source only.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the operator mounts `spec.storage.secretRef` in the fetch-model container. */
export const DEFAULT_CREDENTIALS_DIR = '/var/run/secrets/kubeinfer/storage';

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

/** A credential value and a printable description of where it came from. */
export interface Credential {
  readonly value: string;
  readonly source: string;
}

/** The credentials visible to one fetch. */
export interface Credentials {
  get(key: CredentialKey): Credential | null;
  /** Where credentials were looked for, for "no credentials found" messages. */
  readonly searched: string;
}

/** Reads every known key from the Secret directory, falling back to the environment. */
export async function loadCredentials(dir: string, env: NodeJS.ProcessEnv): Promise<Credentials> {
  const found = new Map<CredentialKey, Credential>();
  for (const key of CREDENTIAL_KEYS) {
    const fromFile = await readSecretFile(dir, key);
    if (fromFile !== null) {
      found.set(key, { value: fromFile, source: `Secret file ${path.join(dir, key)}` });
      continue;
    }
    const fromEnv = env[key];
    if (fromEnv) found.set(key, { value: fromEnv, source: `environment variable ${key}` });
  }
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!found.has('service-account.json') && keyFile) {
    const text = await readSecretFile(path.dirname(keyFile), path.basename(keyFile));
    if (text !== null) found.set('service-account.json', { value: text, source: `GOOGLE_APPLICATION_CREDENTIALS file ${keyFile}` });
  }
  return {
    get: (key) => found.get(key) ?? null,
    searched: `${dir} or the environment`,
  };
}

async function readSecretFile(dir: string, key: string): Promise<string | null> {
  try {
    const text = await readFile(path.join(dir, key), 'utf8');
    // `kubectl create secret --from-file` keeps a trailing newline; tokens never end in one.
    return key.endsWith('.json') ? text : text.replace(/\r?\n$/, '');
  } catch {
    return null;
  }
}

/** The first present key's credential, in order. */
export function firstOf(credentials: Credentials, ...keys: readonly CredentialKey[]): Credential | null {
  for (const key of keys) {
    const credential = credentials.get(key);
    if (credential) return credential;
  }
  return null;
}
