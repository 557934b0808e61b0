// The work behind `kubeinfer validate`: read sources, validate every InferenceService,
// print each problem with file, line and field path, return the exit code.
import { checkManifests } from './manifests.ts';
import type { ManifestProblem } from './manifests.ts';
import { readManifestSources } from './sources.ts';

/** A problem as printed: which file it is in. */
export interface FileProblem extends ManifestProblem {
  readonly file: string;
}

export interface ValidateCommandOptions {
  readonly recursive: boolean;
  readonly output: string;
  readonly write: (line: string) => void;
  readonly stdin?: NodeJS.ReadableStream;
}

/** Exit codes: 0 all valid, 1 problems found (or nothing to check), 2 unusable arguments. */
export async function validateSources(paths: readonly string[], options: ValidateCommandOptions): Promise<number> {
  if (options.output !== 'text' && options.output !== 'json') {
    options.write(`error: --output must be text or json, got ${options.output}`);
    return 2;
  }
  const read = await readManifestSources(paths, {
    recursive: options.recursive,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  if (!read.ok) {
    options.write(`error: ${read.error}`);
    return 2;
  }
  const problems: FileProblem[] = [];
  let checked = 0;
  for (const source of read.sources) {
    const outcome = checkManifests(source.text);
    checked += outcome.checked;
    problems.push(...outcome.problems.map((problem) => ({ file: source.name, ...problem })));
  }
  report(options, { files: read.sources.length, checked, problems });
  return problems.length > 0 || checked === 0 ? 1 : 0;
}

function report(options: ValidateCommandOptions, summary: { files: number; checked: number; problems: readonly FileProblem[] }): void {
  if (options.output === 'json') {
    options.write(JSON.stringify({ files: summary.files, inferenceServices: summary.checked, problems: summary.problems }, null, 2));
    return;
  }
  for (const problem of summary.problems) options.write(formatProblem(problem));
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  if (summary.checked === 0 && summary.problems.length === 0) {
    options.write(`no InferenceService found in ${plural(summary.files, 'file')}`);
    return;
  }
  options.write(
    `${plural(summary.checked, 'InferenceService')} in ${plural(summary.files, 'file')}: ${summary.problems.length === 0 ? 'valid' : plural(summary.problems.length, 'problem')}`,
  );
}

/** One problem as `validate` prints it: `file:line: Kind ns/name: field.path: message`. */
export function formatProblem(problem: FileProblem): string {
  const where = problem.object === undefined ? '' : ` ${problem.object}:`;
  const path = problem.path === '' ? '' : ` ${problem.path}:`;
  return `${problem.file}:${problem.line}:${where}${path} ${problem.message}`;
}
