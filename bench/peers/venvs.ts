// One Python virtual environment per peer under kubeinfer's cache (outside the repo), made on
// first use with pip from PyPI. A peer whose packages do not install is skipped with the reason,
// and the benchmark goes on without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../tools/cluster/assets.ts';
import { COMPRESS_MODULES } from '../../tools/onnx/compressed.ts';

export type PeerName = 'kserve' | 'mlserver' | 'pytriton';
/** The peers, and the tools that make compressed models (compress.py). */
export type VenvName = PeerName | 'compress';

// PyTriton's Python-backend stub links the distribution's libpython (Debian: python3.11), so its
// venv is made from the distribution's python3: a venv of another 3.11 build (pyenv's) mixes two
// standard libraries and fails to load the model (RLock has no _recursion_count).
const SYSTEM_PYTHON = '/usr/bin/python3';

/** What pip installs in each venv, and the import that proves the install works. */
const VENV_PACKAGES: Readonly<Record<VenvName, { packages: readonly string[]; probe: string; base?: string }>> = {
  kserve: { packages: ['kserve', 'onnxruntime'], probe: 'import kserve, onnxruntime' },
  mlserver: { packages: ['mlserver', 'onnxruntime'], probe: 'import mlserver, onnxruntime' },
  pytriton: { packages: ['nvidia-pytriton', 'onnxruntime'], probe: 'import pytriton.triton, onnxruntime', base: SYSTEM_PYTHON },
  compress: { packages: ['onnx', 'onnxruntime', 'onnxconverter-common'], probe: COMPRESS_MODULES },
};

export const PEERS: readonly PeerName[] = ['kserve', 'mlserver', 'pytriton'];

export type VenvPython = { readonly ok: true; readonly python: string } | { readonly ok: false; readonly reason: string };

function probe(python: string, code: string): string | undefined {
  const run = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  return run.status === 0 ? undefined : (run.error?.message ?? run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`);
}

/** The python of venv `name`, creating and filling it first when it is missing or broken. */
export function venvPython(name: VenvName, log: (line: string) => void): VenvPython {
  const dir = join(cacheRoot(), 'bench-peers', name);
  const python = join(dir, 'bin', 'python');
  const { packages, probe: code, base } = VENV_PACKAGES[name];
  if (existsSync(python) && probe(python, code) === undefined) return { ok: true, python };
  log(`${name}: creating ${dir} and pip installing ${packages.join(' ')} (minutes, once)`);
  const venv = spawnSync(
    base !== undefined && existsSync(base) ? base : (process.env.PYTHON ?? 'python3'),
    ['-m', 'venv', '--clear', dir],
    { encoding: 'utf8' },
  );
  if (venv.status !== 0) return { ok: false, reason: `python3 -m venv failed: ${venv.error?.message ?? venv.stderr.trim()}` };
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], {
    encoding: 'utf8',
  });
  if (pip.status !== 0) return { ok: false, reason: `pip install ${packages.join(' ')} failed: ${pip.stderr.trim().split('\n').at(-1)}` };
  const broken = probe(python, code);
  return broken === undefined ? { ok: true, python } : { ok: false, reason: `installed but '${code}' fails: ${broken}` };
}
