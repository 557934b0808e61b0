// Reads manifest sources the way `kubectl -f` does: a file, a directory of
// .yaml/.yml/.json files (recursively with -R), or `-` for stdin.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { text } from 'node:stream/consumers';

/** One manifest file's text, named as the user will recognise it. */
export interface ManifestSource {
  readonly name: string;
  readonly text: string;
}

export type SourcesResult =
  | { readonly ok: true; readonly sources: readonly ManifestSource[] }
  | { readonly ok: false; readonly error: string };

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Reads every `-f` argument; a missing path is an error, not an empty result. */
export async function readManifestSources(
  paths: readonly string[],
  options: { readonly recursive: boolean; readonly stdin?: NodeJS.ReadableStream },
): Promise<SourcesResult> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: '<stdin>', text: await text(options.stdin ?? process.stdin) });
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return { ok: false, error: `${path}: no such file or directory` };
    const files = info.isDirectory() ? await manifestFiles(path, options.recursive) : [path];
    for (const file of files) sources.push({ name: file, text: await readFile(file, 'utf8') });
  }
  return { ok: true, sources };
}

async function manifestFiles(directory: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && recursive) files.push(...(await manifestFiles(path, true)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.has(extname(entry.name))) files.push(path);
  }
  return files;
}
