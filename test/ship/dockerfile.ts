// A small Dockerfile reader for the image tests: instructions with their line numbers,
// stages, and the values of ARGs declared before the first FROM. Enough to check the
// properties we promise (pinned bases, production dependencies, non-root, exec-form
// entrypoint), not a full BuildKit parser.

export interface Instruction {
  readonly keyword: string; // upper case: FROM, RUN, COPY, ...
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | null;
  readonly image: string; // as written, ARGs not expanded
  readonly instructions: readonly Instruction[]; // after the FROM
}

export interface Dockerfile {
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

/** Splits a Dockerfile into instructions, joining `\` continuations and dropping comments. */
function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { start: number; parts: string[] } | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === null && line.trim() === '')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending ??= { start: index + 1, parts: [] };
    pending.parts.push(body.trim());
    if (continued) return;
    const joined = pending.parts.join(' ').trim();
    const match = /^(\S+)\s*(.*)$/s.exec(joined);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.start });
    pending = null;
  });
  return instructions;
}

/** Parses a Dockerfile into its global ARGs and stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: { name: string | null; image: string; instructions: Instruction[] }[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' && name ? name : null, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', value = ''] = instruction.args.split('=', 2);
      globalArgs.set(key.trim(), value.trim());
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** Expands `${NAME}` and `$NAME` with the given values (unknown names stay as written). */
function expandArgs(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => values.get(braced ?? bare ?? '') ?? whole,
  );
}

/** The stages whose FROM names an image, not an earlier stage. */
export function externalImages(dockerfile: Dockerfile): string[] {
  const stageNames = new Set(dockerfile.stages.flatMap((stage) => (stage.name ? [stage.name] : [])));
  return dockerfile.stages
    .map((stage) => expandArgs(stage.image, dockerfile.globalArgs))
    .filter((image) => !stageNames.has(image) && !/\$\{?\w+/.test(image) && image !== 'scratch');
}

/** The last stage: what `docker build` produces without --target. */
export function finalStage(dockerfile: Dockerfile): Stage {
  const last = dockerfile.stages.at(-1);
  if (!last) throw new Error('Dockerfile has no FROM');
  return last;
}

/** The instructions of one keyword in a stage. */
export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}
