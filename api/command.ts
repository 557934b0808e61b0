import type { Command } from 'commander';

interface ValidateOptions {
  readonly filename: readonly string[];
  readonly recursive: boolean;
  readonly output: string;
}

/** Adds kubectl's `-f` (repeatable) and `-R`, the arguments `readManifestSources` takes. */
export function manifestSourceOptions(command: Command): Command {
  return command
    .requiredOption(
      '-f, --filename <path>',
      'file, directory or - for stdin (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('-R, --recursive', 'descend into subdirectories of directories given with -f', false);
}

/** Registers `kubeinfer validate`. */
export function registerValidate(program: Command): void {
  const validate = program
    .command('validate')
    .description('Check InferenceService manifests offline against the CRD schema and CEL rules; exits 1 on any problem.');
  manifestSourceOptions(validate)
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (options: ValidateOptions) => {
      const { validateSources } = await import('./validate-command.ts');
      process.exitCode = await validateSources(options.filename, {
        recursive: options.recursive,
        output: options.output,
        write: (line) => process.stdout.write(`${line}\n`),
      });
    });
}
