// The chart's autoscaling values rendered offline: prometheus-adapter rules that serve the
// runtime's in-flight gauge under the name the operator's HPAs ask for, and the Prometheus
// address for KEDA ScaledObjects. test/node/autoscaling.test.ts runs a real adapter on these rules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { CONCURRENCY_METRIC } from '../../contracts/index.ts';
import { hpaMetric } from '../../operator/builders/hpa.ts';
import { createHelm, findManifest, type Helm, type Manifest } from './helm.ts';

let helm: Helm;
before(async () => {
  helm = await createHelm();
});
after(() => helm?.dispose());

async function render(values: unknown): Promise<Manifest[]> {
  const result = await helm.template(values);
  if (!result.ok) assert.fail(`helm template failed:\n${result.stderr}`);
  return result.manifests;
}

interface AdapterRule {
  seriesQuery: string;
  resources: { overrides: Record<string, { resource: string }> };
  name: { matches: string; as: string };
  metricsQuery: string;
}

function adapterRules(manifests: readonly Manifest[], name: string): { namespace: string; rules: AdapterRule[] } {
  const configMap = findManifest(manifests, 'ConfigMap', name) as Manifest & { data: Record<string, string> };
  const config = parse(configMap.data['config.yaml'] ?? '') as { rules: AdapterRule[] };
  return { namespace: configMap.metadata.namespace ?? '', rules: config.rules };
}

test('no adapter rules unless asked', async () => {
  const manifests = await render({});
  assert.equal(
    manifests.some((manifest) => manifest.kind === 'ConfigMap' && manifest.metadata.name.endsWith('prometheus-adapter-rules')),
    false,
  );
});

test("adapter rules serve the runtime's gauge as the Pods metric the concurrency HPA asks for", async () => {
  const { namespace, rules } = adapterRules(
    await render({ autoscaling: { prometheusAdapter: { enabled: true } } }),
    'kubeinfer-prometheus-adapter-rules',
  );
  assert.equal(namespace, 'kubeinfer-system');
  const [rule] = rules;
  assert.ok(rule && rules.length === 1);
  const asked = hpaMetric({ kind: 'Autoscaled', minReplicas: 1, maxReplicas: 3, metric: 'concurrency', engine: 'hpa', target: 4 });
  assert.equal(rule.name.as, asked.pods?.metric.name);
  assert.equal(rule.name.as, CONCURRENCY_METRIC);
  assert.equal(rule.seriesQuery, `${CONCURRENCY_METRIC}{namespace!="",pod!=""}`);
  assert.match(CONCURRENCY_METRIC, new RegExp(rule.name.matches));
  assert.deepEqual(rule.resources.overrides, { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
  assert.equal(rule.metricsQuery, 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)');
});

test("adapter rules follow the scrape configuration's label names, in the adapter's namespace", async () => {
  const values = {
    configMapName: 'adapter-config',
    namespace: 'monitoring',
    namespaceLabel: 'kubernetes_namespace',
    podLabel: 'kubernetes_pod_name',
  };
  const { namespace, rules } = adapterRules(
    await render({ autoscaling: { prometheusAdapter: { enabled: true, ...values } } }),
    'adapter-config',
  );
  assert.equal(namespace, 'monitoring');
  assert.equal(rules[0]?.seriesQuery, `${CONCURRENCY_METRIC}{kubernetes_namespace!="",kubernetes_pod_name!=""}`);
  assert.deepEqual(rules[0]?.resources.overrides, {
    kubernetes_namespace: { resource: 'namespace' },
    kubernetes_pod_name: { resource: 'pod' },
  });
});

test('autoscaling.keda.prometheusUrl becomes --keda-prometheus-url', async () => {
  const args = (manifests: readonly Manifest[]) =>
    (findManifest(manifests, 'Deployment') as Manifest & { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec
      .template.spec.containers[0]?.args ?? [];
  const url = 'http://prometheus-operated.monitoring.svc:9090';
  assert.ok(args(await render({ autoscaling: { keda: { prometheusUrl: url } } })).includes(`--keda-prometheus-url=${url}`));
  assert.equal(
    args(await render({})).some((arg) => arg.startsWith('--keda-prometheus-url')),
    false,
  );
});

for (const { values, message } of [
  { values: { autoscaling: { prometheusAdapter: { podLabel: 'pod-name' } } }, message: /podLabel/ },
  { values: { autoscaling: { keda: { prometheusUrl: 'prometheus:9090' } } }, message: /prometheusUrl/ },
]) {
  test(`bad autoscaling values are refused: ${JSON.stringify(values)}`, async () => {
    const result = await helm.template(values);
    assert.equal(result.ok, false, 'helm template must fail');
    if (!result.ok) assert.match(result.stderr, message);
  });
}
