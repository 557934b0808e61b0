// The CRD against a REAL kube-apiserver: it installs and becomes Established, accepts
// every example, refuses every bad manifest with the expected message, shows
// descriptions in kubectl explain and renders its printer columns. `kubeinfer validate`
// must reach the same verdict, with the same messages, on every manifest.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRD_NAME, CRD_PATH, checkManifests } from '../../api/index.ts';
import { startControlPlane } from '../../tools/cluster/index.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { badCases, goodCases, ROOT } from './corpus.ts';
import { kubeinfer } from './run-cli.ts';

const NAMESPACE = 'api-test';

/** Runs `kubeinfer validate -o json` on a directory: the problems per file. */
async function validateDirectory(directory: string): Promise<{ code: number | null; files: Map<string, string[]> }> {
  const run = await kubeinfer(['validate', '-o', 'json', '-f', directory]);
  const report = JSON.parse(run.stdout) as { problems: { file: string; message: string }[] };
  const files = new Map<string, string[]>();
  for (const problem of report.problems) files.set(problem.file, [...(files.get(problem.file) ?? []), problem.message]);
  return { code: run.code, files };
}

describe('InferenceService CRD on a real kube-apiserver', () => {
  let cp: ControlPlane;
  const kubectl = async (args: readonly string[], input?: string) => cp.kubectl(args, input === undefined ? undefined : { input });

  before(async () => {
    cp = await startControlPlane();
    const applied = await kubectl(['apply', '--server-side', '-f', join(ROOT, CRD_PATH)]);
    assert.equal(applied.code, 0, applied.stderr);
    const namespace = await kubectl(['create', 'namespace', NAMESPACE]);
    assert.equal(namespace.code, 0, namespace.stderr);
  });
  after(async () => {
    await cp?.stop();
  });

  it('installs and becomes Established', async () => {
    const waited = await kubectl(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    assert.equal(waited.code, 0, waited.stderr);
    const resources = await kubectl(['api-resources', '--api-group=serving.kubeinfer.io', '-o', 'wide']);
    assert.match(resources.stdout, /inferenceservices\s+infsvc\s+serving\.kubeinfer\.io\/v1alpha1\s+true\s+InferenceService/u);
  });

  it('accepts every example and good manifest, and stores the defaults kubeinfer validate applies', async () => {
    for (const file of goodCases()) {
      const created = await kubectl(['create', '--dry-run=server', '-n', NAMESPACE, '-o', 'json', '-f', '-'], file.text);
      assert.equal(created.code, 0, `${file.path}: ${created.stderr}`);
      const offline = checkManifests(file.text);
      assert.deepEqual(offline.problems, [], file.path);
      const stored = JSON.parse(created.stdout) as { spec: unknown };
      assert.deepEqual(stored.spec, offline.services[0]?.spec, `${file.path}: apiserver and offline defaults differ`);
    }
  });

  it('refuses every bad manifest with the expected message, which kubeinfer validate prints too', async () => {
    const cases = badCases();
    assert.ok(cases.length >= 25);
    for (const bad of cases) {
      const created = await kubectl(['create', '--dry-run=server', '-n', NAMESPACE, '-f', '-'], bad.text);
      assert.notEqual(created.code, 0, `${bad.path} was accepted`);
      assert.ok(created.stderr.includes(bad.expect), `${bad.path}: "${bad.expect}" not in ${created.stderr}`);
      const offline = checkManifests(bad.text);
      assert.ok(offline.problems.length > 0, `${bad.path}: kubeinfer validate accepted what the apiserver refused`);
      for (const problem of offline.problems) {
        assert.ok(created.stderr.includes(problem.message), `${bad.path}: offline message "${problem.message}" not in ${created.stderr}`);
      }
    }
  });

  it('agrees with kubeinfer validate on the verdict for every file', async () => {
    const good = [await validateDirectory('examples'), await validateDirectory('test/api/corpus/good')];
    assert.deepEqual(
      good.map((run) => [run.code, run.files.size]),
      [
        [0, 0],
        [0, 0],
      ],
    );
    const bad = await validateDirectory('test/api/corpus/bad');
    assert.equal(bad.code, 1);
    assert.deepEqual(
      [...bad.files.keys()].sort(),
      badCases()
        .map((file) => file.path)
        .sort(),
    );
  });

  it('shows descriptions in kubectl explain', async () => {
    const root = await kubectl(['explain', 'infsvc']);
    assert.match(root.stdout, /There is no\s+scale subresource/u);
    const weight = await kubectl(['explain', 'inferenceservices.spec.versions.weight']);
    assert.match(weight.stdout, /Percent of live traffic this version receives\. Weights sum to\s+100/u);
    const mig = await kubectl(['explain', 'infsvc.spec.gpu.mig']);
    assert.match(mig.stdout, /A MIG profile such as 1g\.10gb/u);
    const recursive = await kubectl(['explain', 'infsvc.spec', '--recursive']);
    for (const field of ['versions', 'traffic', 'mirror', 'behavior', 'secretRef', 'tolerations', 'executionProvider'])
      assert.match(recursive.stdout, new RegExp(`\\b${field}\\b`, 'u'));
  });

  it('renders the printer columns from status', async () => {
    const created = await kubectl(['apply', '-n', NAMESPACE, '-f', join(ROOT, 'examples/canary.yaml')]);
    assert.equal(created.code, 0, created.stderr);
    const status = {
      status: {
        observedGeneration: 1,
        url: `http://fraud.${NAMESPACE}.svc.cluster.local`,
        trafficSummary: 'v1=90,v2=10',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'AllVersionsReady',
            message: '2 of 2 versions ready',
            lastTransitionTime: '2025-01-01T00:00:00Z',
            observedGeneration: 1,
          },
        ],
        versions: [
          { name: 'v1', weight: 90, replicas: 2, readyReplicas: 2, ready: true },
          { name: 'v2', weight: 10, replicas: 2, readyReplicas: 2, ready: true },
        ],
      },
    };
    const patched = await kubectl([
      'patch',
      'infsvc',
      'fraud',
      '-n',
      NAMESPACE,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    assert.equal(patched.code, 0, patched.stderr);
    const table = await kubectl(['get', 'infsvc', '-n', NAMESPACE]);
    assert.match(table.stdout, /^NAME\s+URL\s+READY\s+VERSIONS\s+AGE$/mu);
    assert.match(table.stdout, /^fraud\s+http:\/\/fraud\.api-test\.svc\.cluster\.local\s+True\s+v1=90,v2=10\s+\S+$/mu);
    const wide = await kubectl(['get', 'kubeinfer', '-n', NAMESPACE, '-o', 'wide']);
    assert.match(wide.stdout, /^NAME\s+URL\s+READY\s+VERSIONS\s+REASON\s+AGE$/mu);
    assert.match(wide.stdout, /AllVersionsReady/u);
  });

  it("keeps status out of the user's hands: the main resource ignores it", async () => {
    const manifest = (await kubectl(['get', 'infsvc', 'fraud', '-n', NAMESPACE, '-o', 'json'])).stdout;
    const edited = JSON.parse(manifest) as { status: { url: string } };
    edited.status.url = 'http://elsewhere';
    const replaced = await kubectl(['replace', '-f', '-'], JSON.stringify(edited));
    assert.equal(replaced.code, 0, replaced.stderr);
    const url = await kubectl(['get', 'infsvc', 'fraud', '-n', NAMESPACE, '-o', 'jsonpath={.status.url}']);
    assert.equal(url.stdout, `http://fraud.${NAMESPACE}.svc.cluster.local`);
  });
});
