// API keys for `spec.auth.mode: apiKey` and `--api-keys-file`. Keys are held
// only as sha256 hashes, so a heap dump gives no key away. A presented key is
// hashed and looked up by its hash; the timing of that lookup depends on the
// hash, which an attacker cannot steer towards a stored one, and the match is
// confirmed with a constant-time comparison. (Comparing against every stored
// hash costs ~0.5 µs per key per request for no gain.)
// The source is re-read at most once per `recheckMs`, which is how a rotated
// Secret (or edited file) takes effect without a restart: a removed key stops
// working within that time (plus the kubelet's volume sync in a cluster).
import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a key may do beyond inference: `pin` a version whose weight is 0 (a shadow or a
 * staged canary), and read `metrics` (/metrics and /router/stats) when those are protected.
 */
export const API_KEY_SCOPES = ['pin', 'metrics'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** One accepted key: its hash, an id that names it in audit lines (never the key), and its scopes. */
interface StoredKey {
  readonly id: string;
  readonly hash: Buffer;
  readonly scopes: ReadonlySet<ApiKeyScope>;
}

/** A key that matched: its id and what it may do. */
export type MatchedKey = Pick<StoredKey, 'id' | 'scopes'>;

export interface ApiKeyStore {
  /** The matching key, or undefined when no stored key matches. */
  match(presented: string): Promise<MatchedKey | undefined>;
  /** Where the keys come from, for logs. */
  readonly source: string;
}

/** Default for how stale the keys may be: a rotated-out key works for at most this long. */
export const API_KEYS_RECHECK_MS = 1_000;

/**
 * Keys from a file (one per line, `#` comments) or from a directory holding a mounted Secret
 * (one key per file; the file name is the key's id). A key may be followed by its scopes,
 * separated by spaces: `k-123 pin metrics`.
 * @example const store = await loadApiKeys('/etc/kubeinfer/api-keys'); await store.match('k-123')
 */
export async function loadApiKeys(source: string, recheckMs = API_KEYS_RECHECK_MS): Promise<ApiKeyStore> {
  let keys = byHash(await readKeys(source));
  let readAt = Date.now();
  let reading: Promise<void> | undefined;
  const refresh = async () => {
    keys = await readKeys(source).then(byHash, () => keys); // a half-written Secret update keeps the last good keys
    readAt = Date.now();
  };
  return {
    source,
    async match(presented) {
      if (Date.now() - readAt >= recheckMs) {
        // One re-read at a time: concurrent requests wait for the same one.
        reading ??= refresh().finally(() => {
          reading = undefined;
        });
        await reading;
      }
      const hash = sha256(presented);
      const candidate = keys.get(hash.toString('hex'));
      return candidate !== undefined && timingSafeEqual(candidate.hash, hash) ? candidate : undefined;
    },
  };
}

function byHash(keys: readonly StoredKey[]): ReadonlyMap<string, StoredKey> {
  return new Map(keys.map((key) => [key.hash.toString('hex'), key]));
}

/** The keys of a file or Secret directory; an empty or missing source is an error, not "no one may call". */
async function readKeys(source: string): Promise<StoredKey[]> {
  const keys = (await stat(source)).isDirectory() ? await readDirectory(source) : parseKeysFile(await readFile(source, 'utf8'));
  if (keys.length === 0) throw new Error(`${source} holds no API keys`);
  return keys;
}

/** Lines of a keys file: one key per line (`<key> [scope...]`), blank lines and `#` comments ignored. */
export function parseKeysFile(text: string): StoredKey[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), where: `line ${index + 1}` }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, where }) => stored(line, where));
}

async function readDirectory(dir: string): Promise<StoredKey[]> {
  // The kubelet keeps a Secret's data behind `..data` symlinks; the visible names are the keys.
  const names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  const keys = await Promise.all(names.map(async (name) => ({ name, value: (await readFile(path.join(dir, name), 'utf8')).trim() })));
  return keys.filter(({ value }) => value !== '').map(({ name, value }) => stored(value, `entry ${name}`, name));
}

/** One key and its scopes (`<key> pin metrics`); errors name where the key is, never the key. */
function stored(entry: string, where: string, id?: string): StoredKey {
  const [key = '', ...scopes] = entry.split(/\s+/);
  const unknown = scopes.find((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined) throw new Error(`${where}: unknown scope "${unknown}" (known: ${API_KEY_SCOPES.join(', ')})`);
  const hash = sha256(key);
  return { id: id ?? `sha256:${hash.subarray(0, 4).toString('hex')}`, hash, scopes: new Set(scopes as ApiKeyScope[]) };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
