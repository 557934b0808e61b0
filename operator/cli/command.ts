import type { Command } from 'commander';

/** Registers the operator-side commands: operator, render, status, promote, rollback. */
export function registerOperatorCommands(program: Command): void {
  for (const [name, description] of [
    ['operator', 'Run the controller that reconciles InferenceServices.'],
    ['render', 'Print the objects the operator would apply for a manifest.'],
    ['status', "Show an InferenceService's versions, weights and readiness."],
    ['promote', 'Shift all traffic to one version.'],
    ['rollback', 'Send all traffic back to one version.'],
  ] as const) {
    program.command(name).description(description).action(() => {
      throw new Error(`kubeinfer ${name} is being built`);
    });
  }
}
