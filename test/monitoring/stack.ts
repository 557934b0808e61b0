// What the monitoring test watches: `kubeinfer run` (router + one `serve` per version, a
// mirrored version, a small queue that sheds under load), a second router replica fed a bad
// configuration, and an operator on a real control plane reconciling the same
// InferenceService plus one that a ResourceQuota refuses. All of it scraped by a real Prometheus.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../../tools/onnx/models.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { startPrometheus, type PrometheusServer, type ScrapeTarget } from '../../tools/monitoring/prometheus.ts';
import { ALERT_RULES_FILE } from '../../tools/monitoring/queries.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  inferenceService,
  startClusterWithCrd,
  startTestOperator,
} from '../operator/harness.ts';
import { startRouterProcess, type RouterProcess } from '../router/process.ts';
import { sendMany } from '../router/support.ts';
import { startLocalRun, type LocalRun } from '../local/session.ts';

/** The namespace the scrape labels put local mode in, and the operator's InferenceService's. */
export const NAMESPACE = 'demo';
export const SERVICE = 'linear';
/** A namespace whose ResourceQuota refuses every Deployment: its InferenceService's reconciles fail. */
export const NO_ROOM = 'no-room';

const MANIFEST = `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata:
  name: ${SERVICE}
spec:
  versions:
    - name: v1
      model: {uri: "file://./models/v1.onnx"}
      weight: 90
    - name: v2
      model: {uri: "file://./models/v2.onnx"}
      weight: 10
    - name: v3
      model: {uri: "file://./models/v3.onnx"}
      weight: 0
  traffic:
    mirror: {version: v3, percent: 50}
  runtime:
    workers: 1
    maxQueueSize: 4
    batching: {maxBatchSize: 8, maxQueueDelayMicros: 2000}
`;

const INFER_BODY = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });

export interface MonitoredStack {
  readonly prometheus: PrometheusServer;
  readonly local: LocalRun;
  /** The second router replica, whose configuration file is replaced by a bad one during the load. */
  readonly secondRouter: RouterProcess;
  stop(): Promise<void>;
}

/** Starts everything, scrapes it every second, and puts it under `loadSeconds` of load. */
export async function startMonitoredStack(loadSeconds: number): Promise<MonitoredStack> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-monitoring-'));
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    await mkdir(join(dir, 'models'));
    for (const [version, scale] of [
      ['v1', 2],
      ['v2', 3],
      ['v3', 4],
    ] as const)
      await writeFile(join(dir, 'models', `${version}.onnx`), addModel({ scale, offset: 1, features: 1 }));
    await writeFile(join(dir, 'service.yaml'), MANIFEST);
    const local = await startLocalRun(join(dir, 'service.yaml'));
    stops.push(() => local.interrupt());
    const routerConfig = join(dir, 'router.json');
    await writeFile(routerConfig, JSON.stringify(secondRouterConfig(local)));
    const secondRouter = await startRouterProcess(['--config-file', routerConfig]);
    stops.push(() => secondRouter.stop());
    const cp = await startClusterWithCrd();
    stops.push(() => cp.stop());
    const operator = await startTestOperator(cp, { leaderElection: { namespace: 'default' } });
    stops.push(() => operator.stop());
    await applyInferenceServices(cp);
    const prometheus = await startPrometheus({
      targets: scrapeTargets(local, secondRouter, operator.probes.port),
      ruleFiles: [ALERT_RULES_FILE],
    });
    stops.push(() => prometheus.stop());
    await putUnderLoad([local.routerUrl, secondRouter.url], loadSeconds, () => writeFile(routerConfig, '{"model": '));
    return { prometheus, local, secondRouter, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function secondRouterConfig(local: LocalRun) {
  const url = (version: string) => local.runtimes.get(version) ?? '';
  return {
    model: SERVICE,
    versions: [
      { name: 'v1', weight: 90, url: url('v1') },
      { name: 'v2', weight: 10, url: url('v2') },
      { name: 'v3', weight: 0, url: url('v3') },
    ],
    mirror: null,
  };
}

/** Labels as a pod scrape in a cluster gives them: namespace and pod. The operator keeps its own (honor_labels). */
function scrapeTargets(local: LocalRun, secondRouter: RouterProcess, operatorPort: number): ScrapeTarget[] {
  const pod = (name: string) => ({ namespace: NAMESPACE, pod: name });
  const address = (url: string) => new URL(url).host;
  return [
    { job: 'router-a', address: address(local.routerUrl), labels: pod(`${SERVICE}-router-a`) },
    { job: 'router-b', address: address(secondRouter.url), labels: pod(`${SERVICE}-router-b`) },
    ...[...local.runtimes].map(([version, url]) => ({
      job: `serve-${version}`,
      address: address(url),
      labels: pod(`${SERVICE}-${version}-0`),
    })),
    { job: 'operator', address: `127.0.0.1:${operatorPort}`, labels: { pod: 'kubeinfer-operator-0' }, honorLabels: true },
  ];
}

/** The served InferenceService as the operator sees it, and one in a namespace whose quota refuses Deployments. */
async function applyInferenceServices(cp: ControlPlane): Promise<void> {
  const admin = adminClient(cp);
  await createNamespace(cp, NAMESPACE);
  const versions = (
    [
      ['v1', 90],
      ['v2', 10],
      ['v3', 0],
    ] as const
  ).map(([name, weight]) => ({ name, weight, uri: `https://models.example/${name}.onnx` }));
  const served = inferenceService(NAMESPACE, SERVICE, versions, { traffic: { mirror: { version: 'v3', percent: 50 } } });
  const quota = await createNamespace(cp, NO_ROOM);
  const refused = await cp.kubectl(['create', 'quota', 'no-deployments', '--hard=count/deployments.apps=0', '-n', quota]);
  if (refused.code !== 0) throw new Error(`creating the ResourceQuota: ${refused.stderr}`);
  await applyAsUser(admin, served);
  await applyAsUser(admin, inferenceService(quota, 'refused', [{ name: 'v1', uri: 'https://models.example/v1.onnx' }]));
}

/** Bursts of concurrent inference requests through both routers; halfway, `midway` runs once. */
async function putUnderLoad(routers: readonly string[], seconds: number, midway: () => Promise<void>): Promise<void> {
  const end = Date.now() + seconds * 1000;
  let midwayDone = false;
  while (Date.now() < end) {
    if (!midwayDone && Date.now() > end - (seconds * 1000) / 2) {
      await midway();
      midwayDone = true;
    }
    await sendMany(400, 24, (i) => [
      `${routers[i % routers.length]}/v2/models/${SERVICE}/infer`,
      { body: INFER_BODY, headers: { 'content-type': 'application/json' } },
    ]);
  }
}
