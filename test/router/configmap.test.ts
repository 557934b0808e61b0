// `kubeinfer route --configmap` against a real kube-apiserver, authenticated as the router's
// own ServiceAccount with exactly the RBAC the operator grants it (get/list/watch on one
// ConfigMap by name): edits to the ConfigMap change the split live, invalid edits are refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { formatRouterConfig, type RouterConfig } from '../../contracts/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { startControlPlane } from '../../tools/cluster/index.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { startRouterProcess } from './process.ts';
import type { RouterProcess } from './process.ts';
import { countByVersion, metricValue, send, sendMany, startBackend } from './support.ts';
import type { TestBackend } from './support.ts';

const NAMESPACE = 'ml';
const NAME = 'fraud-router';

let plane: ControlPlane;
let core: CoreV1Api;
let dir: string;
let backends: TestBackend[] = [];
let router: RouterProcess | undefined;

const config = (weights: readonly number[]): RouterConfig => ({
  model: 'fraud',
  versions: backends.map((b, i) => ({ name: b.version, weight: weights[i]!, url: b.url })),
  mirror: null,
});

before(async () => {
  plane = await startControlPlane();
  core = plane.kubeConfig().makeApiClient(CoreV1Api);
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-router-cm-'));
  backends = [await startBackend('v1'), await startBackend('v2')];
});

after(async () => {
  await router?.stop();
  for (const backend of backends) await backend.close();
  await plane?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The ServiceAccount, Role and RoleBinding the operator creates for a router, and a kubeconfig with its token. */
async function routerIdentity(): Promise<string> {
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: NAME } } });
  const rbac = plane.kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: NAMESPACE,
    body: {
      metadata: { name: NAME },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [NAME], verbs: ['get', 'list', 'watch'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NAMESPACE,
    body: {
      metadata: { name: NAME },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: NAMESPACE }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    name: NAME,
    namespace: NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = plane.kubeConfig().getCurrentCluster()!;
  const path = join(dir, 'router.kubeconfig');
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: plane.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: NAME, user: { token: token.status?.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: NAME, namespace: NAMESPACE } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  return path;
}

async function writeConfigMap(text: string): Promise<void> {
  await core.replaceNamespacedConfigMap({
    name: NAME,
    namespace: NAMESPACE,
    body: { metadata: { name: NAME }, data: { 'router.json': text } },
  });
}

async function split(): Promise<Record<string, number>> {
  return countByVersion(await sendMany(100, 4, () => [`${router!.url}/v2/models/fraud/infer`, { body: '{}' }]));
}

test('a ConfigMap edit changes the split within seconds, with no restart', async () => {
  const kubeconfig = await routerIdentity();
  await core.createNamespacedConfigMap({
    namespace: NAMESPACE,
    body: { metadata: { name: NAME }, data: { 'router.json': formatRouterConfig(config([90, 10])) } },
  });
  router = await startRouterProcess(['--configmap', `${NAMESPACE}/${NAME}`, '--kubeconfig', kubeconfig]);
  await eventually(
    async () => ((await send(`${router!.url}/v2/health/ready`)).status === 200 ? true : undefined),
    'the router to read its ConfigMap',
    30_000,
  );
  assert.deepEqual(await split(), { v1: 90, v2: 10 });

  const pid = router.child.pid;
  const edited = Date.now();
  await writeConfigMap(formatRouterConfig(config([40, 60])));
  // Polling in whole SWRR cycles: once the new table is in, every 100 requests split 40/60.
  await eventually(
    async () => {
      const counts = await split();
      return counts.v1 === 40 && counts.v2 === 60 ? counts : undefined;
    },
    'the new split',
    30_000,
  );
  const seconds = (Date.now() - edited) / 1000;
  process.stdout.write(`# ConfigMap edit -> new split observed after ${seconds.toFixed(2)} s\n`);
  assert.equal(router.child.pid, pid);
  assert.equal(router.child.exitCode, null);
});

test('an invalid ConfigMap edit is refused and the last good split stays', async () => {
  assert.ok(router !== undefined, 'needs the router from the previous test');
  await writeConfigMap('{"model": "fraud", "versions": []}');
  await eventually(
    async () => {
      const metrics = (await send(`${router!.url}/metrics`)).body.toString();
      return metricValue(metrics, 'kubeinfer_router_config_updates_total', { result: 'rejected' }) === 1 ? true : undefined;
    },
    'the rejection',
    30_000,
  );
  assert.deepEqual(await split(), { v1: 40, v2: 60 });
  assert.ok(router.logs.some((line) => line.includes('versions: must be a non-empty array')));
  assert.equal(await router.stop(), 0);
  router = undefined;
});
