// A component that cannot start: the error carries its log, and nothing is left behind.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane } from '../../tools/cluster/index.ts';

/** Processes whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

describe('start-up failures', () => {
  let scratch: string;
  const saved = process.env.TEST_ASSET_KUBE_APISERVER;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kubeinfer-fake-apiserver-'));
    const fake = join(scratch, 'kube-apiserver');
    await writeFile(fake, '#!/bin/sh\necho "Error: unknown flag: --not-a-real-apiserver" >&2\nexit 3\n', { mode: 0o755 });
    process.env.TEST_ASSET_KUBE_APISERVER = fake;
  });
  after(async () => {
    if (saved === undefined) delete process.env.TEST_ASSET_KUBE_APISERVER;
    else process.env.TEST_ASSET_KUBE_APISERVER = saved;
    await rm(scratch, { recursive: true, force: true });
  });

  it('reports which component died with the tail of its log, then stops etcd and removes the dir', async () => {
    let message = '';
    await assert.rejects(startControlPlane(), (error: unknown) => {
      message = error instanceof Error ? error.message : String(error);
      return true;
    });
    assert.match(message, /kube-apiserver exited \(code 3, signal null\) while waiting for kube-apiserver \/readyz/);
    assert.match(message, /unknown flag: --not-a-real-apiserver/);
    const dir = /last lines of (\/\S+)\/logs\/kube-apiserver\.log/.exec(message)?.[1];
    assert.ok(dir, message);
    assert.equal(existsSync(dir), false, `${dir} should be removed`);
    assert.deepEqual(processesMentioning(dir), [], 'etcd and the reaper should be gone');
  });
});
