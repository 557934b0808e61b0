// `kubeinfer serve`: flags and KUBEINFER_* variables -> one model server. Heavy modules
// (express, onnxruntime) load inside the action so `kubeinfer --help` stays instant.
import type { Command } from 'commander';
import { SERVE_SETTINGS } from '../../contracts/index.ts';
import { TERMINATION_LOG, writeTerminationMessage } from '../termination.ts';
import { resolveServeConfig } from './config.ts';

/** Registers `kubeinfer serve`. */
export function registerServe(program: Command): void {
  const command = program.command('serve').description('Serve one ONNX model over the Open Inference Protocol (KServe V2) and V1.');
  for (const setting of SERVE_SETTINGS) {
    const defaults = 'default' in setting ? ` (default: ${setting.default})` : '';
    command.option(`--${setting.flag} <value>`, `${setting.description}; env ${setting.env}${defaults}`);
  }
  // Not a serve setting: the kubelet decides the path, nothing else sets it.
  command.option(
    '--termination-log <path>',
    'in a container: a model that fails to load exits 1 with the reason written here',
    TERMINATION_LOG,
  );
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
    // A model that failed to load will not load by waiting. In a container, exit with the reason,
    // so the pod shows it (CrashLoopBackOff, termination message) and the operator reports
    // ModelLoadFailed at once instead of after the startup probe gives up. Elsewhere the server
    // stays up and not-ready, answering every request with the reason.
    const state = await server.loaded;
    if (state.status !== 'failed') return;
    if (writeTerminationMessage(String(flags.terminationLog), `model '${resolved.config.modelName}' failed to load: ${state.reason}`))
      process.exit(1);
  });
}
