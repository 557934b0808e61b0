import type { Command } from 'commander';

/** Registers `kubeinfer route`. */
export function registerRoute(program: Command): void {
  program
    .command('route')
    .description('Route traffic for one model across its versions by weight, with pinning and mirroring.')
    .action(() => {
      throw new Error('kubeinfer route is being built');
    });
}
