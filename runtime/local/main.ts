// `kubeinfer run` as a process: flags -> validated plan -> the local session.
import { integerFlags, PORT_RANGE } from '../../cli/flags.ts';
import { otlpTracesUrl } from '../../contracts/index.ts';
import { readInferenceService } from './manifest.ts';
import { planLocalRun } from './plan.ts';
import { runLocal } from './session.ts';

export interface RunCommandFlags {
  readonly filename: string;
  readonly port: string;
  readonly grpcPort: string;
  readonly host: string;
  readonly name?: string;
  readonly verbose: boolean;
  readonly apiKeysFile?: string;
  readonly otlpEndpoint?: string;
}

/** Runs the InferenceService in `flags.filename` until Ctrl-C; resolves with the exit code. */
export async function runCommand(flags: RunCommandFlags): Promise<number> {
  const parsed = integerFlags({ port: [flags.port, PORT_RANGE], 'grpc-port': [flags.grpcPort, PORT_RANGE] });
  if (!parsed.ok) return fail([parsed.problem], 2);
  const { port, 'grpc-port': grpcPort } = parsed.values;
  const traces = flags.otlpEndpoint ? otlpTracesUrl(flags.otlpEndpoint) : undefined;
  if (traces?.ok === false) return fail([traces.message], 2);
  const manifest = await readInferenceService(flags.filename, flags.name);
  if (!manifest.ok) return fail(manifest.lines, 1);
  const planned = planLocalRun(manifest.service);
  if (!planned.ok) return fail(planned.problems, 1);
  return runLocal({
    file: flags.filename,
    plan: planned.plan,
    host: flags.host,
    port,
    grpcPort,
    verbose: flags.verbose,
    out: (line) => process.stdout.write(`${line}\n`),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.apiKeysFile === undefined ? {} : { apiKeysFile: flags.apiKeysFile }),
    ...(flags.otlpEndpoint ? { otlpEndpoint: flags.otlpEndpoint } : {}),
  });
}

function fail(lines: readonly string[], code: number): number {
  for (const line of lines) process.stderr.write(`${line}\n`);
  return code;
}
