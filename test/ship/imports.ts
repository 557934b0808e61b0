// Walks the module graph the CLI can load at run time, from source: static imports and
// re-exports (type-only ones are erased by Node, so skipped), dynamic `import('...')`,
// and `new URL('./x.ts', import.meta.url)` (worker entry points). The image tests use
// it to prove the images carry every module the CLI may load and nothing it never does.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

export interface ModuleGraph {
  readonly files: ReadonlySet<string>; // absolute paths of project modules reached
  readonly packages: ReadonlyMap<string, string>; // package name -> first file importing it
}

export interface WalkOptions {
  readonly dynamic: boolean; // follow import('...') and new URL(...) edges too
}

/** The project modules and packages reachable from the entry files. */
export function walkModules(entries: readonly string[], options: WalkOptions): ModuleGraph {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entries];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of runtimeSpecifiers(readFileSync(file, 'utf8'), options)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (existsSync(target)) queue.push(target);
        else throw new Error(`${file} imports ${specifier}, which does not exist`);
      } else if (!specifier.startsWith('node:')) {
        const name = packageName(specifier);
        if (!packages.has(name)) packages.set(name, file);
      }
    }
  }
  return { files, packages };
}

/** `@scope/pkg/sub` -> `@scope/pkg`, `pkg/sub` -> `pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function runtimeSpecifiers(source: string, options: WalkOptions): string[] {
  const sourceFile = ts.createSourceFile('module.ts', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    const found = staticSpecifier(node) ?? (options.dynamic ? dynamicSpecifier(node) : null);
    if (found !== null) specifiers.push(found);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return specifiers;
}

function staticSpecifier(node: ts.Node): string | null {
  if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
    return node.moduleSpecifier.text;
  }
  if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return node.moduleSpecifier.text;
  }
  return null;
}

function dynamicSpecifier(node: ts.Node): string | null {
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    const [argument] = node.arguments;
    return argument && ts.isStringLiteralLike(argument) ? argument.text : null;
  }
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
    const [argument, base] = node.arguments ?? [];
    const relativeToModule = base !== undefined && base.getText().replace(/\s/g, '') === 'import.meta.url';
    if (argument && ts.isStringLiteralLike(argument) && relativeToModule && /\.(ts|js|mjs)$/.test(argument.text)) return argument.text;
  }
  return null;
}
