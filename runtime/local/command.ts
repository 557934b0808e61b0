import { Option } from 'commander';
import type { Command } from 'commander';
import { OTLP_ENDPOINT } from '../../contracts/index.ts';
import type { RunCommandFlags } from './main.ts';

/** Registers `kubeinfer run`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run an InferenceService on this machine: one runtime per version, the router in front.')
    .requiredOption('-f, --filename <path>', 'InferenceService manifest (YAML or JSON)')
    .addOption(new Option('--port <port>', 'port of the router (0 picks a free one)').default('8080'))
    .addOption(new Option('--grpc-port <port>', 'gRPC port of the router (0 picks a free one)').default('8081'))
    .addOption(new Option('--host <address>', 'address the router listens on').default('127.0.0.1'))
    .option('--name <name>', 'which InferenceService to run when the file holds several')
    .option('-v, --verbose', "show the runtimes' and the router's logs", false)
    .option(
      '--api-keys-file <path>',
      'require an API key at the router (one key per line, # comments; re-read when it changes) and print an audit line per request',
    )
    .addOption(new Option(`--${OTLP_ENDPOINT.flag} <url>`, OTLP_ENDPOINT.description).env(OTLP_ENDPOINT.env))
    .addHelpText('after', "\nfile:// model URIs: file:///abs/path.onnx, or file://./rel/path.onnx relative to the manifest's directory.\n")
    .action(async (flags: RunCommandFlags) => {
      const { runCommand } = await import('./main.ts');
      process.exitCode = await runCommand(flags);
    });
}
