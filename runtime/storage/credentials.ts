// Storage credentials: one file per key in the mounted Secret, or environment
// variables of the same name. A file wins over the environment because the Secret is
// what the InferenceService named explicitly. Values never leave this module in
// messages: problems describe a credential by its source only.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CREDENTIAL_KEYS, type CredentialKey } from '../../contracts/index.ts';

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
