import type { Command } from 'commander';

/** Registers `kubeinfer serve`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve one ONNX model over the Open Inference Protocol (KServe V2) and V1.')
    .action(() => {
      throw new Error('kubeinfer serve is being built');
    });
}
