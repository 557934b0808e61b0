import type { Command } from 'commander';

/** Registers `kubeinfer fetch-model`. */
export function registerFetchModel(program: Command): void {
  program
    .command('fetch-model')
    .description('Download a model URI (file, http(s), s3, gs, pvc) into a directory.')
    .action(() => {
      throw new Error('kubeinfer fetch-model is being built');
    });
}
