// Drives the helm CLI for the chart tests: an isolated HELM_* home per process, values
// passed as a file, and rendered manifests parsed into objects.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { helmBinary } from '../../tools/cluster/assets.ts';

export const CHART_DIR = fileURLToPath(new URL('../../charts/kubeinfer', import.meta.url));
// `helm template` has no cluster to ask; a helm built without release ldflags assumes
// Kubernetes 1.20, below the chart's kubeVersion, so name the control plane's version.
const KUBE_VERSION = '1.35.4';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A Kubernetes object as rendered (loosely typed: tests read the fields they check). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

export interface Helm {
  /** Runs helm with the given arguments (never throws on a non-zero exit). */
  run(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<CommandResult>;
  /** `helm template` of the chart into kubeinfer-system with these values, as helm printed it. */
  render(values: unknown): Promise<CommandResult>;
  /** `helm template` of the chart with these values; the manifests, or the failure. */
  template(values: unknown): Promise<{ ok: true; manifests: Manifest[] } | { ok: false; stderr: string }>;
  /** Removes the helm home. */
  dispose(): void;
}

/** A helm CLI with its own config/cache/data directories (removed by dispose). */
export async function createHelm(): Promise<Helm> {
  const binary = await helmBinary();
  const home = mkdtempSync(join(tmpdir(), 'kubeinfer-helm-'));
  const baseEnv = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  let files = 0;
  const run = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CommandResult> =>
    new Promise((resolve) => {
      execFile(binary, args, { env: { ...baseEnv, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const valuesFile = (values: unknown): string => {
    const path = join(home, `values-${++files}.json`);
    writeFileSync(path, JSON.stringify(values));
    return path;
  };
  const render = (values: unknown): Promise<CommandResult> =>
    run(['template', 'kubeinfer', CHART_DIR, '--namespace', 'kubeinfer-system', '--kube-version', KUBE_VERSION, '-f', valuesFile(values)]);
  return {
    run,
    render,
    async template(values) {
      const result = await render(values);
      if (result.code !== 0) return { ok: false, stderr: result.stderr };
      return { ok: true, manifests: parseManifests(result.stdout) };
    },
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Parses multi-document YAML into the non-empty objects. */
function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null && typeof manifest === 'object');
}

/** The one manifest of a kind (and name, when given); throws when absent or ambiguous. */
export function findManifest(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1)
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`,
    );
  return found[0]!;
}
