// `kubeinfer serve`: flags and KUBEINFER_* variables -> one model server. Heavy modules
// (express, onnxruntime) load inside the action so `kubeinfer --help` stays instant.
import type { Command } from 'commander';
import { SERVE_SETTINGS } from '../../contracts/index.ts';
import { resolveServeConfig } from './config.ts';

/** Registers `kubeinfer serve`. */
export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('Serve one ONNX model over the Open Inference Protocol (KServe V2) and V1.');
  for (const setting of SERVE_SETTINGS) {
    const defaults = 'default' in setting ? ` (default: ${setting.default})` : '';
    command.option(`--${setting.flag} <value>`, `${setting.description}; env ${setting.env}${defaults}`);
  }
  command.action(async (flags: Record<string, unknown>) => {
    const resolved = resolveServeConfig(flags, process.env);
    if (!resolved.ok) {
      for (const problem of resolved.problems) process.stderr.write(`kubeinfer serve: ${problem}\n`);
      process.exit(2);
    }
    const { startServer } = await import('./serve.ts');
    const server = await startServer(resolved.config);
    const stop = () => void server.drain().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
