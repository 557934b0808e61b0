import type { Command } from 'commander';

/** Registers `kubeinfer validate`. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check InferenceService manifests offline against the CRD schema and rules.')
    .action(() => {
      throw new Error('kubeinfer validate is being built');
    });
}
