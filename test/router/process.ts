// Runs `kubeinfer route` as a child process and finds its URL in its JSON log lines.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));

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
  const child = spawn(process.execPath, [CLI, 'route', '--host', '127.0.0.1', '--port', '0', '--shutdown-delay-ms', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = once(child, 'close');
  const url = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        const event = parseJson(line);
        if (event?.msg === 'router listening') resolve(String(event.url));
      });
    }
    void exited.then(() => reject(new Error(`kubeinfer route exited before listening:\n${logs.join('\n')}`)));
  });
  return {
    child,
    url,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
    async exit() {
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
