// The Helm chart rendered offline: lint, the CRD identical to crds/, the operator
// Deployment's shape for each option, and values.schema.json refusing bad values.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CHART_DIR, createHelm, findManifest, type Helm, type Manifest } from './helm.ts';
import { CRD_SOURCE, derivedChartFiles, RULE_GROUPS } from './chart-sources.ts';
import { reviewersBindingRules } from '../../operator/controller/rbac.ts';
import { ALERT_RULES_FILE, loadDashboards } from '../../tools/monitoring/queries.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

let helm: Helm;
before(async () => {
  helm = await createHelm();
});
after(() => helm?.dispose());

async function render(values: unknown = {}): Promise<Manifest[]> {
  const result = await helm.template(values);
  if (!result.ok) assert.fail(`helm template failed:\n${result.stderr}`);
  return result.manifests;
}

interface Container {
  args: string[];
  image: string;
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}

function operatorPod(manifests: readonly Manifest[]): { replicas: number; pod: PodSpec; container: Container } {
  const deployment = findManifest(manifests, 'Deployment') as Manifest & { spec: { replicas: number; template: { spec: PodSpec } } };
  const pod = deployment.spec.template.spec;
  return { replicas: deployment.spec.replicas, pod, container: pod.containers[0]! };
}

test('helm lint --strict is clean', async () => {
  const result = await helm.run(['lint', '--strict', CHART_DIR]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/);
  const several = await helm.run([
    'lint',
    '--strict',
    CHART_DIR,
    '--set',
    'replicaCount=3',
    '--set',
    'watchNamespaces={a,b}',
    '--set',
    'metrics.serviceMonitor.enabled=true',
  ]);
  assert.equal(several.code, 0, several.stdout + several.stderr);
});

test('the chart carries the current CRD and RBAC rules (else run: node tools/chart/sync-chart.ts)', () => {
  for (const [path, expected] of derivedChartFiles()) {
    assert.equal(readFileSync(`${root}${path}`, 'utf8'), expected, `${path} is stale: run \`node tools/chart/sync-chart.ts\``);
  }
});

type Rules = readonly { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] }[];

function rulesOf(manifest: Manifest): Rules {
  return (manifest as Manifest & { rules: Rules }).rules;
}

test('RBAC watching all namespaces: ClusterRoles equal to operator/controller/rbac.ts, bound to the ServiceAccount', async () => {
  const manifests = await render({ replicaCount: 2 });
  assert.deepEqual(rulesOf(findManifest(manifests, 'ClusterRole', 'kubeinfer')), RULE_GROUPS.operatorRules);
  assert.deepEqual(rulesOf(findManifest(manifests, 'ClusterRole', 'kubeinfer-nodes')), RULE_GROUPS.nodeRules);
  const leader = findManifest(manifests, 'Role', 'kubeinfer-leader-election');
  assert.equal(leader.metadata.namespace, 'kubeinfer-system');
  assert.deepEqual(rulesOf(leader), RULE_GROUPS.leaderElectionRules);
  const operatorBindings = manifests.filter((m) => m.kind.endsWith('Binding') && m.metadata.name !== REVIEWERS);
  for (const binding of operatorBindings) {
    assert.deepEqual((binding as Manifest & { subjects: unknown }).subjects, [
      { kind: 'ServiceAccount', name: 'kubeinfer', namespace: 'kubeinfer-system' },
    ]);
  }
  assert.equal(operatorBindings.length, 4);
  assertRouterReviewers(manifests);
});

const REVIEWERS = 'kubeinfer-router-reviewers';

/** Routers may create token and access reviews, through a binding the chart leaves empty; the operator may patch that binding and bind that role, no more. */
function assertRouterReviewers(manifests: readonly Manifest[]): void {
  assert.deepEqual(rulesOf(findManifest(manifests, 'ClusterRole', REVIEWERS)), RULE_GROUPS.routerReviewRules);
  const binding = findManifest(manifests, 'ClusterRoleBinding', REVIEWERS) as Manifest & { roleRef: unknown; subjects?: unknown };
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: REVIEWERS });
  assert.equal(binding.subjects, undefined, 'the operator fills in the subjects');
  assert.deepEqual(rulesOf(findManifest(manifests, 'ClusterRole', `${REVIEWERS}-keeper`)), reviewersBindingRules(REVIEWERS));
  assert.ok(operatorPod(manifests).container.args.includes(`--router-reviewers-binding=${REVIEWERS}`));
}

test('RBAC with watchNamespaces: a Role per namespace; cluster-wide, only the router reviewers binding may be patched', async () => {
  const manifests = await render({ watchNamespaces: ['team-a', 'team-b'] });
  const roles = manifests.filter((m) => m.kind === 'Role');
  assert.deepEqual(
    roles.map((role) => role.metadata.namespace),
    ['team-a', 'team-b'],
  );
  for (const role of roles) assert.deepEqual(rulesOf(role), RULE_GROUPS.operatorRules);
  const clusterRoles = manifests.filter((m) => m.kind === 'ClusterRole');
  assert.deepEqual(clusterRoles.map((role) => role.metadata.name).sort(), ['kubeinfer-nodes', REVIEWERS, `${REVIEWERS}-keeper`]);
  for (const rule of rulesOf(findManifest(manifests, 'ClusterRole', 'kubeinfer-nodes')))
    assert.deepEqual(rule.verbs, ['get', 'list', 'watch']);
  assertRouterReviewers(manifests);
  const noReviews = await render({ watchNamespaces: ['team-a'], rbac: { routerReviews: false } });
  assert.equal(noReviews.filter((m) => m.metadata.name.startsWith(REVIEWERS)).length, 0);
  assert.ok(!operatorPod(noReviews).container.args.some((arg) => arg.startsWith('--router-reviewers-binding')));
  assert.ok(operatorPod(manifests).container.args.includes('--watch-namespaces=team-a,team-b'));
  assert.equal(
    manifests.filter((m) => m.kind === 'Role' && m.metadata.name.endsWith('leader-election')).length,
    0,
    'no Lease rights without leader election',
  );
  const noNodes = await render({ rbac: { readNodes: false } });
  assert.equal(noNodes.filter((m) => m.metadata.name === 'kubeinfer-nodes').length, 0);
});

test("the chart's CRD is crds/serving.kubeinfer.io_inferenceservices.yaml, kept on uninstall", async () => {
  const source = parse(readFileSync(`${root}${CRD_SOURCE}`, 'utf8')) as Manifest & { spec: unknown };
  const crd = findManifest(await render(), 'CustomResourceDefinition') as Manifest & { spec: unknown };
  assert.equal(crd.metadata.name, source.metadata.name);
  assert.deepEqual(crd.spec, source.spec);
  assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  assert.match(crd.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '', /Delete=false/);
  for (const [key, value] of Object.entries(source.metadata.labels ?? {})) assert.equal(crd.metadata.labels?.[key], value);
  const without = await render({ crds: { install: false } });
  assert.equal(without.filter((m) => m.kind === 'CustomResourceDefinition').length, 0);
});

test('one replica: no leader election, no PodDisruptionBudget; restricted pod, probes, runtime image', async () => {
  const manifests = await render({ runtime: { image: 'registry.example.com/kubeinfer-runtime:1.2.3' } });
  const { replicas, pod, container } = operatorPod(manifests);
  assert.equal(replicas, 1);
  assert.ok(!container.args.some((arg) => arg.startsWith('--leader-elect')));
  assert.equal(manifests.filter((m) => m.kind === 'PodDisruptionBudget').length, 0);
  assert.equal(container.args[0], 'operator');
  assert.ok(container.args.includes('--runtime-image=registry.example.com/kubeinfer-runtime:1.2.3'));
  assert.equal(container.image, 'ghcr.io/kubeinfer/kubeinfer-operator:0.1.0');
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  assert.ok(container.resources.requests && container.resources.limits);
  assert.equal(pod.serviceAccountName, findManifest(manifests, 'ServiceAccount').metadata.name);
});

test('several replicas: leader election in the release namespace and a PodDisruptionBudget', async () => {
  const manifests = await render({ replicaCount: 3 });
  const { replicas, container } = operatorPod(manifests);
  assert.equal(replicas, 3);
  assert.ok(container.args.includes('--leader-elect'));
  assert.ok(container.args.includes('--leader-election-namespace=kubeinfer-system'));
  const pdb = findManifest(manifests, 'PodDisruptionBudget') as Manifest & { spec: { minAvailable: number; selector: unknown } };
  assert.equal(pdb.spec.minAvailable, 1);
  const forced = operatorPod(await render({ leaderElection: { enabled: true } })).container;
  assert.ok(forced.args.includes('--leader-elect'));
});

test('metrics: a Service on the metrics port; a ServiceMonitor only when asked', async () => {
  const manifests = await render();
  const service = findManifest(manifests, 'Service') as Manifest & {
    spec: { ports: { name: string; port: number; targetPort: string }[] };
  };
  assert.deepEqual(
    service.spec.ports.map(({ name, port, targetPort }) => ({ name, port, targetPort })),
    [{ name: 'metrics', port: 8080, targetPort: 'metrics' }],
  );
  assert.equal(manifests.filter((m) => m.kind === 'ServiceMonitor').length, 0);
  const monitor = findManifest(
    await render({ metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } }),
    'ServiceMonitor',
  );
  assert.equal(monitor.metadata.labels?.release, 'prom');
  // The operator's per-InferenceService gauges carry their own `namespace` label.
  assert.equal((monitor as Manifest & { spec: { endpoints: { honorLabels: boolean }[] } }).spec.endpoints[0]?.honorLabels, true);
});

test("dashboards and alerts: off by default; ConfigMaps for Grafana's sidecar and a PrometheusRule of the rule file when asked", async () => {
  const plain = await render();
  assert.equal(plain.filter((m) => m.kind === 'PrometheusRule' || m.metadata.labels?.grafana_dashboard !== undefined).length, 0);
  const manifests = await render({
    dashboards: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'kubeinfer' } },
    alerts: { prometheusRule: { enabled: true, labels: { release: 'prom' } } },
  });
  const dashboards = manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1');
  const files = loadDashboards();
  assert.equal(dashboards.length, files.size);
  for (const [file, dashboard] of files) {
    const configMap = dashboards.find((m) => (m as Manifest & { data: Record<string, string> }).data[file] !== undefined) as
      | (Manifest & { data: Record<string, string> })
      | undefined;
    assert.ok(configMap, `no ConfigMap carries ${file}`);
    assert.deepEqual(JSON.parse(configMap.data[file]!), dashboard);
    assert.equal(configMap.metadata.namespace, 'monitoring');
    assert.equal(configMap.metadata.annotations?.grafana_folder, 'kubeinfer');
  }
  const rule = findManifest(manifests, 'PrometheusRule') as Manifest & { spec: unknown };
  assert.equal(rule.metadata.labels?.release, 'prom');
  // Prometheus's own {{ $labels }} templates pass through Helm untouched.
  assert.deepEqual(rule.spec, parse(readFileSync(ALERT_RULES_FILE, 'utf8')));
});

const refused: readonly { values: unknown; message: RegExp }[] = [
  { values: { replicas: 2 }, message: /additional propert(y|ies) .*replicas.* not allowed/i },
  { values: { replicaCount: 0 }, message: /replicaCount.*minimum|minimum.*replicaCount|must be >= 1/is },
  { values: { replicaCount: '2' }, message: /replicaCount.*(integer|string)/is },
  { values: { watchNamespaces: 'ml' }, message: /watchNamespaces.*array/is },
  { values: { watchNamespaces: ['Not_A_Namespace'] }, message: /watchNamespaces.*(pattern|does not match)/is },
  { values: { image: { pullPolicy: 'Sometimes' } }, message: /pullPolicy.*(Always|enum|must be one of)/is },
  { values: { image: { digest: 'sha256:abc' } }, message: /digest/ },
  { values: { runtime: { image: 'not an image' } }, message: /runtime.*image/is },
  { values: { metrics: { port: 70000 } }, message: /port.*(maximum|65535)/is },
  { values: { extraArgs: ['verbose'] }, message: /extraArgs/ },
  { values: { healthPort: 8080 }, message: /healthPort and metrics.port are both 8080/ },
  { values: { replicaCount: 2, leaderElection: { enabled: false } }, message: /leaderElection.enabled=false with replicaCount=2/ },
  {
    values: { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } },
    message: /serviceMonitor.enabled needs metrics.service.enabled/,
  },
  { values: { serviceAccount: { create: false } }, message: /serviceAccount.name is required/ },
  { values: { dashboards: { namespace: 'Not_A_Namespace' } }, message: /dashboards.*namespace/is },
  { values: { alerts: { prometheusRule: { enable: true } } }, message: /additional propert(y|ies) .*enable.* not allowed/i },
];

for (const { values, message } of refused) {
  test(`bad values are refused with a clear message: ${JSON.stringify(values)}`, async () => {
    const result = await helm.template(values);
    assert.equal(result.ok, false, 'helm template must fail');
    if (!result.ok) assert.match(result.stderr, message);
  });
}
