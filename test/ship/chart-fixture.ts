// What the chart tests against a real apiserver share: a control plane, a helm home and a
// scratch dir for the whole file, created in before() and removed in after(), and the
// kubectl and helm calls that must succeed.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../tools/cluster/index.ts';
import { createHelm, type Helm } from './helm.ts';

export interface ChartCluster {
  /** Set once before() has run. */
  readonly cp: ControlPlane;
  readonly helm: Helm;
  /** A temp dir of this file's own, removed in after(). */
  readonly scratch: string;
  /** kubectl as the admin; fails the test on a non-zero exit, else its stdout. */
  kubectlOk(args: readonly string[], input?: string): Promise<string>;
  /** helm against the control plane; fails the test on a non-zero exit, else its stdout. */
  helmOk(args: readonly string[]): Promise<string>;
}

/**
 * Registers the hooks; `onStop` runs in after() before the control plane stops.
 * @example const { kubectlOk } = useChartCluster({ namespaces: ['ml'] });
 */
export function useChartCluster(setup: {
  readonly namespaces: readonly string[];
  /** Labels (`key=value`) put on each of the namespaces. */
  readonly namespaceLabels?: readonly string[];
  readonly controlPlane?: ControlPlaneOptions;
  readonly onStop?: () => unknown;
}): ChartCluster {
  let cp: ControlPlane | undefined;
  let helm: Helm | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'kubeinfer-ship-'));
  const cluster: ChartCluster = {
    get cp() {
      return cp as ControlPlane;
    },
    get helm() {
      return helm as Helm;
    },
    scratch,
    async kubectlOk(args, input) {
      const result = await cluster.cp.kubectl(args, input === undefined ? undefined : { input });
      assert.equal(result.code, 0, `kubectl ${args.join(' ')}\n${result.stderr}`);
      return result.stdout;
    },
    async helmOk(args) {
      const result = await cluster.helm.run([...args, '--kubeconfig', cluster.cp.kubeconfigPath]);
      assert.equal(result.code, 0, `helm ${args.join(' ')}\n${result.stderr}`);
      return result.stdout;
    },
  };
  before(async () => {
    helm = await createHelm(); // first: after() removes its home even when the control plane fails to start
    cp = await startControlPlane(setup.controlPlane);
    for (const namespace of setup.namespaces) {
      await cluster.kubectlOk(['create', 'namespace', namespace]);
      if (setup.namespaceLabels?.length) await cluster.kubectlOk(['label', 'namespace', namespace, ...setup.namespaceLabels]);
    }
  });
  after(async () => {
    await setup.onStop?.();
    await cp?.stop();
    helm?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });
  return cluster;
}
