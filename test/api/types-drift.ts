// Compiles api/schema.ts with the TypeScript compiler, optionally against an edited
// api/types.ts, and returns its errors: how the schema test shows that the compile-time
// schema/type check really fails on a drift.
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from './corpus.ts';

const SCHEMA_FILE = path.join(ROOT, 'api/schema.ts');
const TYPES_FILE = path.join(ROOT, 'api/types.ts');

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
}

const unchanged = new Map<string, ts.SourceFile>();

/** The type errors of api/schema.ts when api/types.ts reads as `editTypes` makes it, one line each. */
export function schemaTypeErrors(editTypes: (text: string) => string = (text) => text): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (path.resolve(fileName) === TYPES_FILE)
      return ts.createSourceFile(fileName, editTypes(ts.sys.readFile(fileName) ?? ''), languageVersion, true);
    // Every other file (node's and client-node's types above all) is parsed once for all calls.
    const cached = unchanged.get(fileName) ?? getSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (cached !== undefined) unchanged.set(fileName, cached);
    return cached;
  };
  const program = ts.createProgram([SCHEMA_FILE], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(SCHEMA_FILE)).map((diagnostic) => {
    const line =
      diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1 : 0;
    const source = diagnostic.file?.text.split('\n')[line - 1]?.trim() ?? '';
    return `${line}: ${source}`;
  });
}
