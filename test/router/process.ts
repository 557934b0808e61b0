// `kubeinfer` as a child process, the way a user runs it: spawnCli() is the plumbing shared
// by the router and local-mode tests; startRouterProcess() finds the router's URL in its
// JSON log lines.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { capture } from '../capture.ts';

export const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));

/** A running `kubeinfer <args>` with its output lines collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Every line printed so far, stdout and stderr interleaved. */
  readonly lines: string[];
  /** Resolves with the exit code once the process has ended and its output is read. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` unless it has ended already; resolves with the exit code. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `kubeinfer <args>`; `onLine` sees each output line as it arrives. */
export function spawnCli(args: readonly string[], onLine?: (line: string) => void, env: NodeJS.ProcessEnv = process.env): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = once(child, 'close').then(([code]) => {
    capture(`kubeinfer ${args[0]}`, lines.join('\n'));
    return code as number | null;
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      onLine?.(line);
    });
  }
  return {
    child,
    lines,
    exited,
    stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RouterProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logs: string[];
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Waits for the process to end by itself; resolves with the exit code. */
  exit(): Promise<number | null>;
}

/** Starts `kubeinfer route <args>` and resolves once it logs where it listens. */
export async function startRouterProcess(args: readonly string[]): Promise<RouterProcess> {
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (listening = resolve));
  const cli = spawnCli(['route', '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--shutdown-delay-ms', '0', ...args], (line) => {
    const event = parseJson(line);
    if (event?.msg === 'router listening') listening(String(event.url));
  });
  const exitedEarly = cli.exited.then(() => Promise.reject(new Error(`kubeinfer route exited before listening:\n${cli.lines.join('\n')}`)));
  return {
    child: cli.child,
    url: await Promise.race([url, exitedEarly]),
    logs: cli.lines,
    stop: () => cli.stop('SIGTERM'),
    exit: () => cli.exited,
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
