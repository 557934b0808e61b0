import type { Command } from 'commander';

/** Registers `kubeinfer run`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run an InferenceService on this machine: one runtime per version, the router in front.')
    .action(() => {
      throw new Error('kubeinfer run is being built');
    });
}
