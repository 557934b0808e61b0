// The manifest corpus shared by the offline and the apiserver tests: every example,
// the accepted edge cases in corpus/good, and the refused manifests in corpus/bad,
// each of which names the message fragment it must produce (`# expect: ...`).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CorpusFile {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly text: string;
}

export interface BadCase extends CorpusFile {
  /** A fragment both the apiserver and `kubeinfer validate` must print. */
  readonly expect: string;
}

function yamlFiles(directory: string): CorpusFile[] {
  return readdirSync(`${ROOT}${directory}`)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ path: `${directory}/${name}`, text: readFileSync(`${ROOT}${directory}/${name}`, 'utf8') }));
}

/** Every example plus the accepted edge cases. */
export function goodCases(): CorpusFile[] {
  return [...yamlFiles('examples'), ...yamlFiles('test/api/corpus/good')];
}

/** Every refused manifest with its expected message fragment. */
export function badCases(): BadCase[] {
  return yamlFiles('test/api/corpus/bad').map((file) => {
    const expect = /^# expect: (.+)$/mu.exec(file.text)?.[1];
    if (expect === undefined) throw new Error(`${file.path} has no "# expect:" line`);
    return { ...file, expect };
  });
}
