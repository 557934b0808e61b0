// `spec.auth.mode: kubernetes` with no manual step, on a real kube-apiserver: the chart is
// installed, the operator runs with the chart's arguments as the chart's ServiceAccount and
// keeps the router reviewers ClusterRoleBinding listing the InferenceService's router; a
// router authenticated as that router ServiceAccount then reviews callers' tokens over HTTP
// and gRPC. Taking auth off takes the grant away. Neither side may do more than that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { formatRouterConfig } from '../../contracts/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { startGrpcRecorder, type GrpcRecorder } from '../router/auth-support.ts';
import { startRouterProcess, type RouterProcess } from '../router/process.ts';
import { send, startBackend, type TestBackend } from '../router/support.ts';
import { capture, captureSecret } from '../capture.ts';
import { useChartCluster } from './chart-fixture.ts';
import { CHART_DIR } from './helm.ts';
import { startChartOperator, type OperatorProcess } from './operator-process.ts';
import { writeServiceAccountKubeconfig } from './service-account.ts';

const NAMESPACE = 'kubeinfer-system';
const REVIEWERS = 'kubeinfer-router-reviewers';
let operator: OperatorProcess | undefined;
let router: RouterProcess | undefined;
let backend: TestBackend | undefined;
let recorder: GrpcRecorder | undefined;
const cluster = useChartCluster({
  namespaces: [NAMESPACE, 'ml'],
  onStop: async () => {
    await router?.stop();
    await operator?.stop();
    capture('operator (chart)', operator?.log() ?? '');
    await backend?.close();
    await recorder?.close();
  },
});
const { kubectlOk } = cluster;
const path = (name: string) => join(cluster.scratch, name);
const tokens: Record<string, string> = {};

function inferenceService(name: string, auth: object | undefined): string {
  return JSON.stringify({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'ml' },
    spec: { versions: [{ name: 'v1', model: { uri: `https://models.example.com/${name}/model.onnx` } }], ...(auth ? { auth } : {}) },
  });
}

async function reviewers(): Promise<unknown> {
  return JSON.parse((await kubectlOk(['get', 'clusterrolebinding', REVIEWERS, '-o', 'jsonpath={.subjects}'])) || 'null');
}

const as = (account: string | undefined) => ({
  'content-type': 'application/json',
  ...(account === undefined ? {} : { authorization: `Bearer ${tokens[account]}` }),
});
const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] });
const infer = (account: string | undefined) => send(`${router!.url}/v2/models/fraud/infer`, { body, headers: as(account) });

test('the operator lists the router of each InferenceService in kubernetes mode in the reviewers binding, and no other', async () => {
  await cluster.helmOk(['install', 'kubeinfer', CHART_DIR, '--namespace', NAMESPACE]);
  assert.equal(await reviewers(), null, 'the chart leaves the subjects to the operator');
  operator = await startChartOperator(cluster, NAMESPACE, path('operator.kubeconfig'));
  await kubectlOk(['apply', '-f', '-'], inferenceService('fraud', { mode: 'kubernetes' }));
  await kubectlOk(['apply', '-f', '-'], inferenceService('open', undefined));
  await eventually(
    async () =>
      JSON.stringify(await reviewers()) === JSON.stringify([{ kind: 'ServiceAccount', name: 'fraud-router', namespace: 'ml' }])
        ? true
        : undefined,
    'the reviewers binding to list ml/fraud-router',
    60_000,
  );
});

test('with no manual binding: a ServiceAccount bound to infer gets 200, another 403, no token 401, over HTTP and gRPC', async () => {
  for (const account of ['caller', 'stranger']) await kubectlOk(['create', 'serviceaccount', account, '-n', 'ml']);
  await kubectlOk([
    'create',
    'role',
    'fraud-infer',
    '-n',
    'ml',
    '--verb=infer',
    '--resource=inferenceservices.serving.kubeinfer.io',
    '--resource-name=fraud',
  ]);
  await kubectlOk(['create', 'rolebinding', 'fraud-infer', '-n', 'ml', '--role=fraud-infer', '--serviceaccount=ml:caller']);
  for (const account of ['caller', 'stranger']) {
    tokens[account] = (await kubectlOk(['create', 'token', account, '-n', 'ml'])).trim();
    captureSecret(tokens[account]);
  }
  await eventually(
    async () => (await cluster.cp.kubectl(['get', 'serviceaccount', 'fraud-router', '-n', 'ml'])).code === 0 || undefined,
    'the router ServiceAccount',
  );
  await writeServiceAccountKubeconfig(cluster.cp, 'ml', 'fraud-router', path('router.kubeconfig'));
  backend = await startBackend('v1');
  recorder = await startGrpcRecorder();
  await writeFile(
    path('router.json'),
    formatRouterConfig({ model: 'fraud', versions: [{ name: 'v1', weight: 100, url: backend.url, grpcUrl: recorder.url }], mirror: null }),
  );
  const grpcPort = await freePort();
  router = await startRouterProcess([
    ...['--config-file', path('router.json'), '--kubeconfig', path('router.kubeconfig')],
    ...['--auth-kubernetes', 'ml/fraud', '--auth-cache-ttl-ms', '0', '--grpc-port', String(grpcPort)],
  ]);
  assert.equal((await infer('caller')).status, 200);
  assert.equal((await infer('stranger')).status, 403);
  assert.equal((await infer(undefined)).status, 401);
  const client = connectGrpc(`127.0.0.1:${grpcPort}`);
  const call = (account: string | undefined) =>
    client.call('ModelInfer', { model_name: 'fraud' }, account === undefined ? {} : { authorization: `Bearer ${tokens[account]}` }).then(
      () => status.OK,
      (error: ServiceError) => error.code,
    );
  try {
    assert.equal(await call('caller'), status.UNIMPLEMENTED, 'allowed: the call reached the (recording) backend');
    assert.equal(await call('stranger'), status.PERMISSION_DENIED);
    assert.equal(await call(undefined), status.UNAUTHENTICATED);
  } finally {
    client.close();
  }
});

test('turning auth off takes the router out of the binding: its reviews are refused (503)', async () => {
  await kubectlOk(['patch', 'inferenceservice', 'fraud', '-n', 'ml', '--type=json', '-p', '[{"op":"remove","path":"/spec/auth"}]']);
  await eventually(
    async () => ((await reviewers()) === null || JSON.stringify(await reviewers()) === '[]' ? true : undefined),
    'an empty binding',
    60_000,
  );
  await eventually(async () => ((await infer('caller')).status === 503 ? true : undefined), 'the router refused its reviews', 30_000);
});

test('and nothing more: the operator may patch only the reviewers binding; the router may create reviews only', async () => {
  const can = async (kubeconfig: string, args: string[]) =>
    (await cluster.cp.kubectl(['auth', 'can-i', ...args, '--kubeconfig', path(kubeconfig)])).stdout.trim();
  assert.equal(await can('operator.kubeconfig', ['patch', `clusterrolebinding/${REVIEWERS}`]), 'yes');
  for (const denied of [
    ['patch', 'clusterrolebinding/kubeinfer'],
    ['create', 'clusterrolebindings'],
    ['delete', `clusterrolebinding/${REVIEWERS}`],
    ['create', 'tokenreviews'],
  ])
    assert.equal(await can('operator.kubeconfig', denied), 'no', denied.join(' '));
  await kubectlOk(['apply', '-f', '-'], inferenceService('fraud', { mode: 'kubernetes' }));
  await eventually(
    async () => (JSON.stringify(await reviewers()).includes('fraud-router') ? true : undefined),
    'fraud-router listed again',
    60_000,
  );
  assert.equal(await can('router.kubeconfig', ['create', 'tokenreviews']), 'yes');
  assert.equal(await can('router.kubeconfig', ['create', 'subjectaccessreviews']), 'yes');
  assert.equal(await can('router.kubeconfig', ['list', 'secrets', '-n', 'ml']), 'no');
  assert.equal(await can('router.kubeconfig', ['get', 'configmaps', '-n', 'ml']), 'no');
});
