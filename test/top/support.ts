// What the `kubeinfer top` tests share: running the CLI, load through a router while it
// runs, and reading its table back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { VERSION_HEADER } from '../../runtime/router/route.ts';
import { CLI } from '../runtime/harness.ts';

const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });

/** Runs the CLI to completion. */
export function kubeinfer(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Sends inference requests for `model` through the router, one after another, until `done` settles; `pin` pins every other one to a version. */
export async function loadUntil(routerUrl: string, model: string, done: Promise<unknown>, pin?: string): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true));
  let sent = 0;
  while (!finished) {
    const pinned = pin !== undefined && sent % 2 === 0 ? { [VERSION_HEADER]: pin } : {};
    await fetch(`${routerUrl}/v2/models/${model}/infer`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...pinned },
    }).then((answer) => answer.arrayBuffer());
    sent += 1;
  }
  return sent;
}

/** The table's rows by version: column name -> cell. */
export function tableRows(output: string): Map<string, Record<string, string>> {
  const lines = output.trimEnd().split('\n');
  const headerAt = lines.findIndex((line) => line.startsWith('VERSION'));
  assert.ok(headerAt > 0, `a title then a table:\n${output}`);
  const header = lines[headerAt]!.split(/\s{2,}/);
  return new Map(
    lines.slice(headerAt + 1).map((line) => {
      const cells = line.split(/\s{2,}/);
      return [cells[0]!, Object.fromEntries(header.map((name, column) => [name, cells[column] ?? '']))];
    }),
  );
}
