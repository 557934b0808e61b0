// The operator, started with the arguments of the chart's Deployment and authenticated
// as the chart's ServiceAccount (a TokenRequest token), reconciles InferenceServices to
// Ready on a control plane with kube-controller-manager, kube-scheduler and kwok nodes:
// the chart's RBAC is enough. What it was not granted is refused: it is no more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../tools/cluster/eventually.ts';
import { useChartCluster } from './chart-fixture.ts';
import { CHART_DIR } from './helm.ts';
import { runHealthScript } from './lua.ts';
import { startChartOperator as startOperatorAsChart, type OperatorProcess } from './operator-process.ts';

const NAMESPACE = 'kubeinfer-system';
const RUNTIME_IMAGE = 'registry.example.com/kubeinfer-runtime:ship-test';
const HEALTH_LUA = readFileSync(
  fileURLToPath(new URL('../../gitops/argocd/serving.kubeinfer.io/InferenceService/health.lua', import.meta.url)),
  'utf8',
);

let operator: OperatorProcess | undefined;
const cluster = useChartCluster({
  namespaces: [NAMESPACE, 'ml', 'other'],
  controlPlane: { controllerManager: true, scheduler: true, kwok: true },
  onStop: () => operator?.stop(),
});
const { kubectlOk, helmOk } = cluster;
const saKubeconfig = join(cluster.scratch, 'operator.kubeconfig');

/** kubectl as the operator's ServiceAccount. */
function asOperator(args: readonly string[]) {
  return cluster.cp.kubectl([...args, '--kubeconfig', saKubeconfig]);
}

/** Starts the operator exactly as the chart's Deployment would run it, but as a local process. */
function startChartOperator(): Promise<OperatorProcess> {
  return startOperatorAsChart(cluster, NAMESPACE, saKubeconfig);
}

function inferenceService(name: string, namespace: string, versions: readonly { name: string; weight: number }[]): string {
  return JSON.stringify({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, namespace },
    spec: { versions: versions.map((v) => ({ ...v, model: { uri: `https://models.example.com/${name}/${v.name}/model.onnx` } })) },
  });
}

interface LiveInferenceService {
  metadata: { generation: number };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; message?: string }[] };
}

async function getInferenceService(name: string, namespace: string): Promise<LiveInferenceService> {
  return JSON.parse(await kubectlOk(['get', 'inferenceservice', name, '-n', namespace, '-o', 'json'])) as LiveInferenceService;
}

async function waitReady(name: string, namespace: string): Promise<LiveInferenceService> {
  let last: LiveInferenceService | undefined;
  try {
    return await eventually(
      async () => {
        last = await getInferenceService(name, namespace);
        const ready = last.status?.conditions?.find((c) => c.type === 'Ready');
        return last.status?.observedGeneration === last.metadata.generation && ready?.status === 'True' ? last : undefined;
      },
      `InferenceService ${namespace}/${name} to be Ready`,
      240_000,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nlast status: ${JSON.stringify(last?.status)}\noperator log (tail):\n${operator?.log().slice(-6000)}`,
    );
  }
}

function assertNoForbidden(): void {
  const denied = operator!
    .log()
    .split('\n')
    .filter((line) => /forbidden|\b403\b/i.test(line));
  assert.deepEqual(denied, [], 'the operator was refused something it needs');
}

test('all namespaces, 2 replicas: the operator under the chart ServiceAccount reconciles an InferenceService to Ready', async () => {
  await helmOk([
    'install',
    'kubeinfer',
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--set',
    'replicaCount=2',
    '--set',
    `runtime.image=${RUNTIME_IMAGE}`,
  ]);
  operator = await startChartOperator();
  await kubectlOk(
    ['apply', '-f', '-'],
    inferenceService('fraud', 'ml', [
      { name: 'v1', weight: 90 },
      { name: 'v2', weight: 10 },
    ]),
  );
  const isvc = await waitReady('fraud', 'ml');
  for (const [kind, name] of [
    ['deployment', 'fraud-v1'],
    ['deployment', 'fraud-v2'],
    ['deployment', 'fraud-router'],
    ['service', 'fraud'],
    ['configmap', 'fraud-router'],
  ]) {
    await kubectlOk(['get', kind!, name!, '-n', 'ml']);
  }
  const image = await kubectlOk(['get', 'deployment', 'fraud-v1', '-n', 'ml', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
  assert.equal(image, RUNTIME_IMAGE, 'the chart passed runtime.image to the operator');
  const lease = await kubectlOk(['get', 'lease', 'kubeinfer', '-n', NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
  assert.match(lease, /^kubeinfer-ship-test/, 'leader election ran with the chart Role');
  assert.deepEqual(runHealthScript(HEALTH_LUA, isvc), {
    ok: true,
    value: { status: 'Healthy', message: isvc.status!.conditions!.find((c) => c.type === 'Ready')!.message ?? '' },
  });
  assertNoForbidden();
});

test('and nothing more: actions the operator does not need are forbidden to its ServiceAccount', async () => {
  const getSecret = await asOperator(['get', 'secret', 'any-name', '-n', 'ml']);
  assert.notEqual(getSecret.code, 0);
  assert.match(getSecret.stderr, /forbidden/i, 'the operator watches labelled Secrets; it may not get one by name');
  const escalate = await asOperator([
    'create',
    'clusterrolebinding',
    'steal',
    '--clusterrole=cluster-admin',
    `--serviceaccount=${NAMESPACE}:kubeinfer`,
  ]);
  assert.match(escalate.stderr, /forbidden/i);
  const deleteNode = await asOperator(['auth', 'can-i', 'delete', 'nodes']);
  assert.equal(deleteNode.stdout.trim(), 'no');
});

test('watchNamespaces: Roles in the listed namespace only; the operator reconciles there and cannot write elsewhere', async () => {
  await operator!.stop();
  await helmOk([
    'upgrade',
    'kubeinfer',
    CHART_DIR,
    '--namespace',
    NAMESPACE,
    '--set',
    'watchNamespaces={ml}',
    '--set',
    `runtime.image=${RUNTIME_IMAGE}`,
  ]);
  const clusterRole = await cluster.cp.kubectl(['get', 'clusterrole', 'kubeinfer']);
  assert.notEqual(clusterRole.code, 0, 'no cluster-wide operator role any more');
  operator = await startChartOperator();
  await kubectlOk(['apply', '-f', '-'], inferenceService('elsewhere', 'other', [{ name: 'v1', weight: 100 }]));
  await kubectlOk(['apply', '-f', '-'], inferenceService('churn', 'ml', [{ name: 'v1', weight: 100 }]));
  await waitReady('churn', 'ml');
  const elsewhere = await getInferenceService('elsewhere', 'other');
  assert.equal(elsewhere.status, undefined, 'an InferenceService outside watchNamespaces is left alone');
  const writeElsewhere = await asOperator(['create', 'configmap', 'probe', '-n', 'other']);
  assert.match(writeElsewhere.stderr, /forbidden/i);
  assert.equal((await asOperator(['auth', 'can-i', 'create', 'deployments', '-n', 'ml'])).stdout.trim(), 'yes');
  assertNoForbidden();
});
