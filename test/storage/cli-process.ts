// `kubeinfer fetch-model` as its own process, the way the init container runs it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { capture } from '../capture.ts';

const cli = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));

export interface FetchModelRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kubeinfer fetch-model <args>` with extra environment; `onStdout` sees the output so far (to signal mid-download). */
export function runFetchModelCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<FetchModelRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'fetch-model', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      capture('kubeinfer fetch-model', stdout + stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON lines of a fetch-model output stream. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
