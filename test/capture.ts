// What the storage and auth suites showed a person: process output (logs, audit lines,
// termination messages), InferenceService status and Events. With $KUBEINFER_CAPTURE_DIR set,
// each suite writes it there, and test/secrets-leak.test.ts looks for every secret value in
// all of it. Unset (an ordinary run), nothing is written.
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CAPTURE_DIR_ENV = 'KUBEINFER_CAPTURE_DIR';
/** Where secrets made at run time (Kubernetes tokens) are listed: not scanned, it is the list to scan for. */
const RUNTIME_SECRETS = 'runtime-secrets';

/** Records `text` that `source` showed (a process name, "status", "events"). */
export function capture(source: string, text: string): void {
  const dir = process.env[CAPTURE_DIR_ENV];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${source.replace(/[^\w.-]+/g, '_')}.${process.pid}.log`), `${text}\n`);
}

/** Adds a secret value made at run time to the values the scan looks for. */
export function captureSecret(value: string): void {
  const dir = process.env[CAPTURE_DIR_ENV];
  if (!dir) return;
  mkdirSync(join(dir, RUNTIME_SECRETS), { recursive: true });
  appendFileSync(join(dir, RUNTIME_SECRETS, String(process.pid)), `${value}\n`);
}

/** The captured texts in `dir`, by file name, and the secrets registered at run time. */
export function readCaptures(dir: string): { readonly texts: ReadonlyMap<string, string>; readonly runtimeSecrets: readonly string[] } {
  const names = readdirSync(dir).filter((name) => name.endsWith('.log'));
  const runtime = readdirSync(dir).includes(RUNTIME_SECRETS) ? readdirSync(join(dir, RUNTIME_SECRETS)) : [];
  return {
    texts: new Map(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')])),
    runtimeSecrets: runtime.flatMap((file) =>
      readFileSync(join(dir, RUNTIME_SECRETS, file), 'utf8')
        .split('\n')
        .filter(Boolean),
    ),
  };
}
