// Where the control plane's binaries come from. envtest's conventions first, so people
// with setup-envtest can use theirs: TEST_ASSET_<NAME>, then $KUBEBUILDER_ASSETS/<name>;
// then our cache, filled by build-assets.sh (which owns the versions); kubectl last
// falls back to PATH. A missing cached binary is built on demand unless
// KUBEINFER_BUILD_ASSETS=0.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The binaries the harness, the chart tests, the storage tests, the status tests (kstatus), the real node and the monitoring tests (Prometheus) use. */
export const ASSET_NAMES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'helm',
  'fake-gcs-server',
  'kstatus',
  'kubelet',
  'kube-proxy',
  'coredns',
  'prometheus',
  'promtool',
  'prometheus-adapter',
] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

/** The build-assets.sh target that produces each binary. */
const BUILD_TARGET: Readonly<Record<AssetName, string>> = {
  etcd: 'etcd',
  'kube-apiserver': 'kubernetes',
  'kube-controller-manager': 'kubernetes',
  'kube-scheduler': 'kubernetes',
  kubectl: 'kubernetes',
  kwok: 'kwok',
  helm: 'helm',
  'fake-gcs-server': 'fake-gcs-server',
  kstatus: 'kstatus',
  kubelet: 'node',
  'kube-proxy': 'node',
  coredns: 'node',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-adapter': 'prometheus-adapter',
};

const BUILD_SCRIPT = fileURLToPath(new URL('./build-assets.sh', import.meta.url));

/** The root of kubeinfer's caches (build-assets.sh and .ci/node-env.sh default it the same way). */
export function cacheRoot(): string {
  return process.env.KUBEINFER_CACHE ?? join(homedir(), '.cache', 'kubeinfer');
}

/** What a lookup may consult; injected so the rules are testable without touching the machine. */
export interface AssetLookup {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where build-assets.sh puts (or would put) the binary. */
  readonly cachePath: string;
  readonly isExecutable: (path: string) => boolean;
}

export type AssetResolution =
  | { readonly ok: true; readonly path: string; readonly source: string }
  | { readonly ok: false; readonly kind: 'NotFound' | 'InvalidOverride'; readonly asset: AssetName; readonly message: string };

/** TEST_ASSET_KUBE_APISERVER for kube-apiserver, and so on (envtest's naming). */
export function assetEnvVar(name: AssetName): string {
  return `TEST_ASSET_${name.toUpperCase().replaceAll('-', '_')}`;
}

/** Finds `name` by the rules above, or says where it looked and how to provide it. */
export function resolveAsset(name: AssetName, lookup: AssetLookup): AssetResolution {
  const envVar = assetEnvVar(name);
  const explicit = lookup.env[envVar];
  if (explicit) {
    if (lookup.isExecutable(explicit)) return { ok: true, path: explicit, source: envVar };
    // An explicit choice that is wrong must not silently fall back to another binary.
    return {
      ok: false,
      kind: 'InvalidOverride',
      asset: name,
      message: `${envVar}=${explicit}, but that is not an executable file. Fix or unset ${envVar}.`,
    };
  }
  const looked = [`${envVar} (not set)`];
  const envtestDir = lookup.env.KUBEBUILDER_ASSETS;
  if (envtestDir) {
    const candidate = join(envtestDir, name);
    if (lookup.isExecutable(candidate)) return { ok: true, path: candidate, source: 'KUBEBUILDER_ASSETS' };
    looked.push(`$KUBEBUILDER_ASSETS/${name} = ${candidate} (not there)`);
  } else {
    looked.push(`$KUBEBUILDER_ASSETS/${name} (KUBEBUILDER_ASSETS not set)`);
  }
  if (lookup.isExecutable(lookup.cachePath)) return { ok: true, path: lookup.cachePath, source: 'cache' };
  looked.push(`${lookup.cachePath} (not built yet)`);
  if (name === 'kubectl') {
    const onPath = (lookup.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, name))
      .find(lookup.isExecutable);
    if (onPath) return { ok: true, path: onPath, source: 'PATH' };
    looked.push('PATH');
  }
  return { ok: false, kind: 'NotFound', asset: name, message: notFoundMessage(name, looked, lookup.cachePath) };
}

function notFoundMessage(name: AssetName, looked: readonly string[], cachePath: string): string {
  return [
    `${name} binary not found. Looked at:`,
    ...looked.map((place) => `  - ${place}`),
    'Provide it by one of:',
    `  - npm run assets   (builds it from Go modules into ${cachePath}; needs Go >= 1.25 and the Go module proxy)`,
    `  - ${assetEnvVar(name)}=/path/to/${name}`,
    `  - KUBEBUILDER_ASSETS=/dir/containing/${name}   (e.g. the dir printed by \`setup-envtest use -p path 1.35.x\`)`,
  ].join('\n');
}

let cachePathsMemo: Map<string, string> | undefined;

/** The cache path of every binary, as build-assets.sh (the one place versions live) reports it. */
export function cachePaths(): ReadonlyMap<string, string> {
  if (cachePathsMemo) return cachePathsMemo;
  const out = spawnSync('bash', [BUILD_SCRIPT, 'paths'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bash ${BUILD_SCRIPT} paths failed: ${out.stderr || out.error?.message}`);
  cachePathsMemo = new Map(
    out.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return cachePathsMemo;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function lookupFor(name: AssetName): AssetLookup {
  const cachePath = cachePaths().get(name);
  if (!cachePath) throw new Error(`build-assets.sh paths does not list ${name}`);
  return { env: process.env, cachePath, isExecutable };
}

const builds = new Map<string, Promise<number>>();

/** The path of `name`, building it into the cache first (progress on stderr) when it is missing. */
export async function assetPath(name: AssetName): Promise<string> {
  const first = resolveAsset(name, lookupFor(name));
  if (first.ok) return first.path;
  if (first.kind === 'InvalidOverride' || process.env.KUBEINFER_BUILD_ASSETS === '0') throw new Error(first.message);
  const target = BUILD_TARGET[name];
  let build = builds.get(target);
  if (!build) {
    build = runBuild(target);
    builds.set(target, build);
  }
  const status = await build;
  builds.delete(target);
  const second = resolveAsset(name, lookupFor(name));
  if (second.ok) return second.path;
  throw new Error(`${second.message}\n(building it with \`bash ${BUILD_SCRIPT} ${target}\` exited with ${status}; its output is above)`);
}

function runBuild(target: string): Promise<number> {
  process.stderr.write(`[kubeinfer] building ${target} into the asset cache (first run only; progress follows)\n`);
  // stdout stays clean: the test runner reads it.
  const child = spawn('bash', [BUILD_SCRIPT, target], { stdio: ['ignore', 2, 2] });
  return new Promise((resolve) => {
    child.once('error', () => resolve(127));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** KEDA's ScaledObject CRD (yaml from KEDA's Go module), fetched into the cache when missing. */
export async function kedaCrdPath(): Promise<string> {
  const path = cachePaths().get('keda-crd');
  if (!path) throw new Error('build-assets.sh paths does not list keda-crd');
  if (!existsSync(path) && (process.env.KUBEINFER_BUILD_ASSETS === '0' || (await runBuild('keda-crds')) !== 0 || !existsSync(path)))
    throw new Error(`KEDA's CRD is not at ${path}: run \`bash ${BUILD_SCRIPT} keda-crds\` (needs Go and the module proxy)`);
  return path;
}

/** The helm binary for chart tests (v3, built like the others when missing). */
export function helmBinary(): Promise<string> {
  return assetPath('helm');
}

/** The kubectl binary matching the control plane's version when built, else the one on PATH. */
export function kubectlBinary(): Promise<string> {
  return assetPath('kubectl');
}
