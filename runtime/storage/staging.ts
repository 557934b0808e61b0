// Atomic publication. Files download into a hidden staging directory inside the
// destination (same filesystem, so rename is atomic); only when every file is complete
// and verified are they renamed into place, `model.onnx` last. A crash leaves at most
// a hidden `.fetch-model-*` directory, which the next run removes.
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fail, ok, type Result } from './errors.ts';
import { MODEL_FILE } from '../../contracts/index.ts';

const STAGING_PREFIX = '.fetch-model-';

/** Creates the destination and a fresh staging directory in it, removing stale ones. */
export async function createStaging(destDir: string): Promise<Result<string>> {
  try {
    await mkdir(destDir, { recursive: true });
    for (const entry of await readdir(destDir)) {
      if (entry.startsWith(STAGING_PREFIX)) await rm(path.join(destDir, entry), { recursive: true, force: true });
    }
    return ok(await mkdtemp(path.join(destDir, STAGING_PREFIX)));
  } catch (error) {
    return fail({ kind: 'Io', reason: `preparing ${destDir}: ${(error as Error).message}` });
  }
}

/** Moves staged files into the destination, the model last; undoes the moves on failure. */
export async function publish(stagingDir: string, destDir: string, targets: readonly string[]): Promise<Result<void>> {
  const ordered = [...targets.filter((target) => target !== MODEL_FILE), ...targets.filter((target) => target === MODEL_FILE)];
  const moved: string[] = [];
  try {
    for (const target of ordered) {
      const destination = path.join(destDir, target);
      await mkdir(path.dirname(destination), { recursive: true });
      await rename(path.join(stagingDir, target), destination);
      moved.push(destination);
    }
    await rm(stagingDir, { recursive: true, force: true });
    return ok(undefined);
  } catch (error) {
    await Promise.all(moved.map((file) => rm(file, { force: true })));
    await discard(stagingDir);
    return fail({ kind: 'Io', reason: `publishing into ${destDir}: ${(error as Error).message}` });
  }
}

/** Removes a staging directory and everything in it. */
export async function discard(stagingDir: string): Promise<void> {
  await rm(stagingDir, { recursive: true, force: true });
}
