// Every example applied to a fresh control plane (kwok nodes, nothing else
// installed) ends where its header comment says: Ready, or Stalled with the
// reason it names. Never stuck in progress.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { InferenceService } from '../../api/index.ts';
import { InferenceServiceKind } from '../../kube/resources.ts';
import { createNamespace, eventually, operatorCluster, read } from './harness.ts';

/** The outcome an example's comment promises: `On a fresh cluster: Ready.` or `... Stalled (Reason)`. */
function promised(text: string): string {
  const comment = text
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^#\s?/, ''))
    .join(' ');
  const stated = comment.match(/On a fresh cluster: (Ready|Stalled \((\w+)\))/);
  assert.ok(stated, 'the header comment says what the example does on a fresh cluster');
  return stated[2] ?? 'Ready';
}

describe('examples on a fresh cluster', () => {
  const cluster = operatorCluster();

  // One at a time, each removed before the next: together they ask more CPU than the fake nodes have.
  it('each ends Ready or Stalled with the reason its comment documents', async () => {
    const files = (await readdir('examples')).filter((file) => file.endsWith('.yaml')).sort();
    assert.ok(files.length >= 8);
    const outcomes: string[] = [];
    const promises: string[] = [];
    for (const file of files) {
      const expected = promised(await readFile(`examples/${file}`, 'utf8'));
      promises.push(`${file}: ${expected}`);
      outcomes.push(`${file}: ${await outcome(file, expected)}`);
    }
    assert.deepEqual(outcomes, promises);
  });

  async function outcome(file: string, expected: string): Promise<string> {
    const kubectl = async (args: readonly string[]) => {
      const result = await cluster.cp.kubectl(args);
      assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    const ns = await createNamespace(cluster.cp, `example-${file.replace('.yaml', '')}`);
    const name =
      (await kubectl(['apply', '-n', ns, '-f', `examples/${file}`])).match(/inferenceservice\.serving\.kubeinfer\.io\/(\S+)/)?.[1] ?? '';
    const isvc = async () => (await read(cluster.admin, InferenceServiceKind, ns, name)) as unknown as InferenceService | undefined;
    const reached = await eventually(
      async () => {
        const condition = (await isvc())?.status?.conditions?.find((entry) => entry.type === (expected === 'Ready' ? 'Ready' : 'Stalled'));
        return condition?.status === 'True' && (expected === 'Ready' || condition.reason === expected) ? condition.reason : undefined;
      },
      `${file} to end ${expected}`,
      30_000,
    ).catch(async (error: Error) => `${error.message}: ${JSON.stringify((await isvc())?.status?.conditions)}`);
    await kubectl(['delete', '-n', ns, '-f', `examples/${file}`, '--wait']);
    await kubectl(['wait', '--for=delete', 'pods', '--all', '-n', ns, '--timeout=60s']);
    return reached;
  }
});
