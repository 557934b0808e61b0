// Reading the manifest for local mode: the exact checks and messages of
// `kubeinfer validate`, then the one InferenceService to run.
import { readFile } from 'node:fs/promises';
import { loadInferenceServices, validateSources } from '../../api/index.ts';
import type { InferenceService } from '../../api/index.ts';

export type ManifestResult =
  | { readonly ok: true; readonly service: InferenceService }
  | { readonly ok: false; readonly lines: readonly string[] };

/** Validates `file` as `kubeinfer validate -f file` does and picks the InferenceService to run. */
export async function readInferenceService(file: string, name?: string): Promise<ManifestResult> {
  const lines: string[] = [];
  const code = await validateSources([file], { recursive: false, output: 'text', write: (line) => lines.push(line) });
  if (code !== 0) return { ok: false, lines };
  const loaded = loadInferenceServices(await readFile(file, 'utf8'));
  if (!loaded.ok) return { ok: false, lines: loaded.problems.map((p) => `${file}:${p.line}: ${p.path}: ${p.message}`) };
  return pick(file, loaded.services, name);
}

function pick(file: string, services: readonly InferenceService[], name?: string): ManifestResult {
  const names = services.map((s) => s.metadata.name ?? '');
  if (name !== undefined) {
    const chosen = services.find((s) => s.metadata.name === name);
    if (chosen !== undefined) return { ok: true, service: chosen };
    return { ok: false, lines: [`${file}: no InferenceService named "${name}" (found: ${names.join(', ')})`] };
  }
  if (services.length === 1) return { ok: true, service: services[0]! };
  return {
    ok: false,
    lines: [`${file}: ${services.length} InferenceServices (${names.join(', ')}); local mode runs one, choose it with --name`],
  };
}
