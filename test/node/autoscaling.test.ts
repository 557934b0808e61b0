// Concurrency autoscaling end to end on the real node: the runtime's in-flight gauge, scraped by
// Prometheus, served as a Pods custom metric by prometheus-adapter running the chart's rules,
// read by the HPA the operator made for `metric: concurrency, target: 4, maxReplicas: 3`.
// Under load the version scales 1 -> 3; after it, back to 1 one pod at a time, as its
// `behavior` (short stabilization window, one pod per period) says. Prints the times taken.
// Meanwhile the PromQL a KEDA ScaledObject would run for the same version is checked against
// the same Prometheus.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { CONCURRENCY_METRIC } from '../../contracts/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { concurrencyQuery } from '../../operator/builders/keda.ts';
import { startHttpServer, type Running } from '../../tools/storage/servers.ts';
import { useChartCluster } from '../ship/chart-fixture.ts';
import { CHART_DIR } from '../ship/helm.ts';
import { clientPod, CLIENT_POD, execNode, installChart } from './client.ts';
import { ADAPTER_NAMESPACE, startMetricsStack, type MetricsStack } from './metrics-stack.ts';

const NS = 'ml';
const MODEL = addModel({ scale: 2, offset: 1, features: 1 });
// Each request waits for a batch that never fills: 200 ms in flight, whatever the CPU does.
const BATCHING = { maxBatchSize: 64, maxQueueDelayMicros: 200_000 };
const CLIENTS = 16;
const SCALE_DOWN_PERIOD_SECONDS = 15;
const BEHAVIOR = {
  scaleUp: { stabilizationWindowSeconds: 0 },
  scaleDown: { stabilizationWindowSeconds: 20, policies: [{ type: 'Pods', value: 1, periodSeconds: SCALE_DOWN_PERIOD_SECONDS }] },
};

// CLIENTS requests at a time, each sent when the previous answers, until /tmp/<stop> exists.
const CLOSED_LOOP_SCRIPT = `
import { existsSync } from 'node:fs';
const [url, clients, body, stop] = process.argv.slice(1);
let ok = 0, failed = 0;
const worker = async () => {
  while (!existsSync('/tmp/' + stop)) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10000) });
      await res.text();
      if (res.status === 200) ok++; else failed++;
    } catch { failed++; }
  }
};
await Promise.all(Array.from({ length: Number(clients) }, worker));
console.log(JSON.stringify({ ok, failed }));
`;

let models: Running | undefined;
let stack: MetricsStack | undefined;
const cluster = useChartCluster({
  namespaces: [NS, ADAPTER_NAMESPACE],
  controlPlane: { realNode: true, readyTimeoutMs: 300_000 },
  onStop: async () => {
    await stack?.stop();
    await models?.stop();
  },
});

async function replicas(): Promise<number> {
  const out = await cluster.kubectlOk(['get', 'deployment', 'linear-v1', '-n', NS, '-o', 'jsonpath={.status.readyReplicas}']);
  return Number(out || 0);
}

/** Polls ready replicas each second until `done`; returns every distinct count seen, in order, and the seconds it took. */
async function watchReplicas(done: (count: number) => boolean, timeoutMs: number): Promise<{ seen: number[]; seconds: number }> {
  const started = Date.now();
  const seen: number[] = [];
  for (;;) {
    const count = await replicas();
    if (seen.at(-1) !== count) seen.push(count);
    if (done(count)) return { seen, seconds: (Date.now() - started) / 1000 };
    if (Date.now() - started > timeoutMs)
      assert.fail(`replicas went ${seen.join(' -> ')} in ${timeoutMs / 1000}s (logs: ${stack?.logDir})`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** An instant query's result vector, from the test's Prometheus. */
async function prometheusQuery(query: string): Promise<unknown[]> {
  const response = await fetch(`${stack?.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; data: { result: unknown[] } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  return body.data.result;
}

/** The HPA controller's SuccessfulRescale events for the version, one message a line. */
async function rescales(): Promise<string> {
  const selector = 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=linear-v1,reason=SuccessfulRescale';
  return cluster.kubectlOk([
    'get',
    'events',
    '-n',
    NS,
    '--field-selector',
    selector,
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
}

async function adapterRules(): Promise<string> {
  const rendered = await cluster.helmOk([
    'template',
    'kubeinfer',
    CHART_DIR,
    '--set',
    'autoscaling.prometheusAdapter.enabled=true',
    '--show-only',
    'templates/prometheus-adapter-rules.yaml',
  ]);
  return (parse(rendered) as { data: Record<string, string> }).data['config.yaml'] ?? '';
}

describe('concurrency autoscaling on a real node', () => {
  before(async () => {
    models = await startHttpServer(
      (_req, res) => void res.writeHead(200, { 'content-length': MODEL.length }).end(MODEL),
      cluster.cp.hostIp,
    );
    await installChart(cluster);
    stack = await startMetricsStack(cluster, await adapterRules());
    await cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify(clientPod(NS)));
    await cluster.kubectlOk(['wait', '-n', NS, '--for=condition=Ready', `pod/${CLIENT_POD}`, '--timeout=120s']);
  });
  after(() => cluster.kubectlOk(['delete', 'inferenceservice', '--all', '-n', NS, '--wait=false']));

  test('metric concurrency, target 4, maxReplicas 3: 1 -> 3 under load, back to 1 after, one pod per period', async () => {
    const isvc = {
      apiVersion: 'serving.kubeinfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'linear', namespace: NS },
      spec: {
        versions: [{ name: 'v1', model: { uri: `${models?.url}/model.onnx` } }],
        resources: { requests: { cpu: '50m', memory: '96Mi' } },
        router: { resources: { requests: { cpu: '20m', memory: '48Mi' } } },
        runtime: { workers: 1, batching: BATCHING },
        autoscaling: { minReplicas: 1, maxReplicas: 3, metric: 'concurrency', target: 4, behavior: BEHAVIOR },
      },
    };
    await cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify(isvc));
    await cluster.kubectlOk(['wait', '-n', NS, '--for=condition=Ready', 'inferenceservice/linear', '--timeout=180s']);
    // The adapter lists the series once Prometheus has scraped the pod: the HPA can read it.
    const metricPath = `/apis/custom.metrics.k8s.io/v1beta1/namespaces/${NS}/pods/*/${CONCURRENCY_METRIC}`;
    await eventually(
      async () => ((await cluster.cp.kubectl(['get', '--raw', metricPath])).code === 0 ? true : undefined),
      `${metricPath} served (logs: ${stack?.logDir})`,
      120_000,
    );
    assert.equal(await replicas(), 1);

    const stop = `stop-${Date.now()}`;
    const url = `http://linear.${NS}.svc.cluster.local/v2/models/linear/infer`;
    const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });
    const load = execNode(cluster, NS, CLOSED_LOOP_SCRIPT, [url, String(CLIENTS), body, stop]);
    let out: { seen: number[]; seconds: number };
    try {
      out = await watchReplicas((count) => count === 3, 240_000);
      // engine keda would ask Prometheus this: it must match the version's pods (an empty sum is no match).
      assert.equal((await prometheusQuery(concurrencyQuery(NS, 'linear-v1'))).length, 1);
      assert.equal((await prometheusQuery(concurrencyQuery(NS, 'linear-v2'))).length, 0);
    } finally {
      await cluster.kubectlOk(['exec', '-n', NS, CLIENT_POD, '--', 'touch', `/tmp/${stop}`]);
    }
    const served = JSON.parse(await load) as { ok: number; failed: number };
    assert.ok(served.ok > 0, JSON.stringify(served));
    // The HPA controller says why it scaled: the in-flight metric, read through the adapter.
    assert.match(await rescales(), new RegExp(`New size: 3; reason: pods metric ${CONCURRENCY_METRIC} above target`));
    const scaleIn = await watchReplicas((count) => count === 1, 240_000);
    // behavior.scaleDown allows one pod per period: 3 -> 2 -> 1, never 3 -> 1.
    assert.deepEqual(scaleIn.seen, [3, 2, 1]);
    assert.match(await rescales(), /New size: 1; reason: All metrics below target/);
    console.log(
      `# scale-out 1 -> 3: ${out.seconds.toFixed(0)} s (seen ${out.seen.join(' -> ')}); scale-in 3 -> 1 after load: ${scaleIn.seconds.toFixed(0)} s ` +
        `(stabilization 20 s, 1 pod per ${SCALE_DOWN_PERIOD_SECONDS} s); load answered ${served.ok}, failed ${served.failed}`,
    );
  });
});
