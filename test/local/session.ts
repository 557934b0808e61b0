// Drives `kubeinfer run` as a user does: a child process whose printed summary tells
// where the router and each version's runtime listen.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnCli } from '../router/process.ts';

export interface LocalRun {
  readonly child: ChildProcess;
  readonly routerUrl: string;
  /** `127.0.0.1:<port>` of the router's gRPC listener, from the summary. */
  readonly grpcAddress: string;
  /** Version name -> its runtime's URL, from the summary. */
  readonly runtimes: ReadonlyMap<string, string>;
  readonly output: string[];
  /** Waits until a printed line matches. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGINT (Ctrl-C) and wait; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/** Starts `kubeinfer run -f <manifest> --port 0 --grpc-port 0 [extraArgs]` with `env` and waits for its summary. */
export async function startLocalRun(
  manifest: string,
  env: NodeJS.ProcessEnv = process.env,
  extraArgs: readonly string[] = [],
): Promise<LocalRun> {
  const cli = spawnCli(['run', '-f', manifest, '--port', '0', '--grpc-port', '0', ...extraArgs], undefined, env);
  const output = cli.lines;
  const waitForLine = async (pattern: RegExp, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = output.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (cli.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no line matching ${pattern}; output:\n${output.join('\n')}`);
      await sleep(50);
    }
  };
  // The summary ends with the edit hint; the manifest watch starts right after it.
  await waitForLine(/^Edit the weights/);
  const routerLine = await waitForLine(/^Router: http/);
  const runtimes = new Map<string, string>();
  for (const line of output) {
    const match = /^ {2}(\S+)\s+(?:weight|mirror) \d+%\s+(http:\/\/\S+)/.exec(line);
    if (match) runtimes.set(match[1]!, match[2]!);
  }
  return {
    child: cli.child,
    routerUrl: /^Router: (http:\/\/\S+)/.exec(routerLine)![1]!,
    grpcAddress: /^gRPC .*: (127\.0\.0\.1:\d+),/.exec(await waitForLine(/^gRPC /))?.[1] ?? '',
    runtimes,
    output,
    waitForLine,
    interrupt: () => cli.stop('SIGINT'),
  };
}
