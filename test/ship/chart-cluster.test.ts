// The chart against a real kube-apiserver: the rendered manifests pass server-side dry
// run in a namespace enforcing the restricted Pod Security Standard, and the release
// lifecycle treats the CRD as promised (created Established, upgraded, kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { eventually } from '../../tools/cluster/eventually.ts';
import { useChartCluster } from './chart-fixture.ts';
import { CHART_DIR } from './helm.ts';

const NAMESPACE = 'kubeinfer-system';
const CRD = 'inferenceservices.serving.kubeinfer.io';
const CRD_IN_CHART = 'files/crds/serving.kubeinfer.io_inferenceservices.yaml';

const cluster = useChartCluster({
  namespaces: [NAMESPACE, 'ml', 'team-a', 'team-b'],
  namespaceLabels: ['pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted'],
});
const { kubectlOk, helmOk } = cluster;

async function crdObject(): Promise<{
  metadata: { annotations?: Record<string, string> };
  spec: { versions: { additionalPrinterColumns?: { name: string }[] }[] };
  status?: { conditions?: { type: string; status: string }[] };
}> {
  return JSON.parse(await kubectlOk(['get', 'crd', CRD, '-o', 'json'])) as Awaited<ReturnType<typeof crdObject>>;
}

const MODEL = {
  apiVersion: 'serving.kubeinfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'fraud', namespace: 'ml' },
  spec: { versions: [{ name: 'v1', model: { uri: 'https://models.example.com/fraud/1/model.onnx' } }] },
};

for (const [label, values] of [
  ['defaults', {}],
  ['3 replicas watching team-a and team-b', { replicaCount: 3, watchNamespaces: ['team-a', 'team-b'] }],
] as const) {
  test(`helm template (${label}) passes kubectl apply --dry-run=server with no Pod Security warning`, async () => {
    const rendered = await cluster.helm.render(values);
    assert.equal(rendered.code, 0, rendered.stderr);
    const applied = await cluster.cp.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: rendered.stdout });
    assert.equal(applied.code, 0, applied.stderr);
    assert.doesNotMatch(applied.stderr, /warning/i);
    assert.match(applied.stdout, /deployment.apps\/kubeinfer created \(server dry run\)/);
  });
}

test('helm install creates an Established CRD, the RBAC and the operator Deployment; NOTES show the first InferenceService', async () => {
  const installed = await helmOk(['install', 'kubeinfer', CHART_DIR, '--namespace', NAMESPACE]);
  const notes = installed.slice(installed.indexOf('NOTES:'));
  assert.match(notes, /kind: InferenceService/);
  assert.match(notes, /kubectl -n ml wait --for=condition=Ready inferenceservice\/fraud/);
  await eventually(
    async () => ((await crdObject()).status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True') || undefined,
    'the CRD to be Established',
  );
  for (const [kind, name, namespace] of [
    ['serviceaccount', 'kubeinfer', NAMESPACE],
    ['clusterrole', 'kubeinfer', undefined],
    ['clusterrolebinding', 'kubeinfer', undefined],
    ['deployment', 'kubeinfer', NAMESPACE],
    ['service', 'kubeinfer-metrics', NAMESPACE],
  ] as const) {
    await kubectlOk(['get', kind, name, ...(namespace ? ['-n', namespace] : [])]);
  }
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(MODEL));
});

test('helm upgrade with a changed CRD updates it in the cluster', async () => {
  const chart = join(cluster.scratch, 'kubeinfer');
  cpSync(CHART_DIR, chart, { recursive: true, dereference: true });
  const crd = parse(readFileSync(join(chart, CRD_IN_CHART), 'utf8')) as { spec: { versions: { additionalPrinterColumns?: unknown[] }[] } };
  const version = crd.spec.versions[0]!;
  version.additionalPrinterColumns = [
    ...(version.additionalPrinterColumns ?? []),
    { name: 'Upgraded', type: 'string', jsonPath: '.metadata.uid' },
  ];
  writeFileSync(join(chart, CRD_IN_CHART), stringify(crd));
  await helmOk(['upgrade', 'kubeinfer', chart, '--namespace', NAMESPACE]);
  const columns = (await crdObject()).spec.versions[0]!.additionalPrinterColumns ?? [];
  assert.ok(
    columns.some((column) => column.name === 'Upgraded'),
    JSON.stringify(columns),
  );
  await kubectlOk(['get', 'inferenceservice', 'fraud', '-n', 'ml']);
});

test('helm uninstall keeps the CRD and the InferenceServices; a reinstall adopts the CRD', async () => {
  const output = await helmOk(['uninstall', 'kubeinfer', '--namespace', NAMESPACE]);
  assert.match(output, /kept due to the resource policy/);
  assert.match(output, new RegExp(CRD.replaceAll('.', '\\.')));
  const crd = await crdObject();
  assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  await kubectlOk(['get', 'inferenceservice', 'fraud', '-n', 'ml']);
  const gone = await cluster.cp.kubectl(['get', 'deployment', 'kubeinfer', '-n', NAMESPACE]);
  assert.notEqual(gone.code, 0, 'the operator Deployment is removed');
  const clusterRole = await cluster.cp.kubectl(['get', 'clusterrole', 'kubeinfer']);
  assert.notEqual(clusterRole.code, 0, 'the ClusterRole is removed');
  await helmOk(['install', 'kubeinfer', CHART_DIR, '--namespace', NAMESPACE]);
  const columns = (await crdObject()).spec.versions[0]!.additionalPrinterColumns ?? [];
  assert.ok(!columns.some((column) => column.name === 'Upgraded'), 'the reinstall brought back the chart schema');
});
