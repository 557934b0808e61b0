// `kubeinfer route --auth-kubernetes` against a REAL kube-apiserver: callers
// present ServiceAccount tokens from `kubectl create token`, the router reviews
// them (TokenReview, SubjectAccessReview) with its own ServiceAccount, which
// may create those reviews and nothing else, and access follows ordinary RBAC
// on the InferenceService (`infer`, plus `pin` for a weight-0 version).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { formatRouterConfig } from '../../contracts/index.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { startControlPlane, type ControlPlane } from '../../tools/cluster/index.ts';
import { startRouterProcess, type RouterProcess } from './process.ts';
import { send, startBackend, type TestBackend } from './support.ts';
import { auditLines } from './auth-support.ts';
import { captureSecret } from '../capture.ts';

const NS = 'ml';
const body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }] });
const ACCOUNTS = ['router', 'caller', 'canary', 'stranger', 'scraper', 'leaver'] as const;
type Account = (typeof ACCOUNTS)[number];

let cp: ControlPlane;
let dir: string;
let backends: [TestBackend, TestBackend];
let router: RouterProcess;
const tokens = {} as Record<Account, string>;

/** RBAC as a cluster admin would write it for kubeinfer. */
function rbac(): object[] {
  const isvcRule = (verbs: string[]) => ({
    apiGroups: ['serving.kubeinfer.io'],
    resources: ['inferenceservices'],
    resourceNames: ['fraud'],
    verbs,
  });
  const subject = (name: Account) => ({ kind: 'ServiceAccount', name, namespace: NS });
  const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, roleKind: string, subjects: Account[]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(kind === 'RoleBinding' ? { namespace: NS } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name },
    subjects: subjects.map(subject),
  });
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'fraud-router-reviews' },
      rules: [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
    binding('ClusterRoleBinding', 'fraud-router-reviews', 'ClusterRole', ['router']),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'fraud-infer', namespace: NS },
      rules: [isvcRule(['infer'])],
    },
    binding('RoleBinding', 'fraud-infer', 'Role', ['caller', 'canary']),
    { ...binding('RoleBinding', 'fraud-infer', 'Role', ['leaver']), metadata: { name: 'fraud-infer-leaver', namespace: NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'fraud-pin', namespace: NS },
      rules: [isvcRule(['pin'])],
    },
    binding('RoleBinding', 'fraud-pin', 'Role', ['canary']),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metrics-reader' },
      rules: [{ nonResourceURLs: ['/metrics', '/router/stats'], verbs: ['get'] }],
    },
    binding('ClusterRoleBinding', 'metrics-reader', 'ClusterRole', ['scraper']),
  ];
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await cp.kubectl(args, input === undefined ? undefined : { input });
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** A kubeconfig that authenticates as the router's ServiceAccount. */
async function routerKubeconfig(): Promise<string> {
  const admin = cp.kubeConfig();
  const routerConfig = new KubeConfig();
  routerConfig.loadFromOptions({
    clusters: admin.clusters,
    users: [{ name: 'router', token: tokens.router }],
    contexts: [{ name: 'router', cluster: admin.getCurrentCluster()!.name, user: 'router' }],
    currentContext: 'router',
  });
  const path = join(dir, 'router.kubeconfig');
  await writeFile(path, routerConfig.exportConfig());
  return path;
}

before(async () => {
  cp = await startControlPlane();
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-auth-k8s-'));
  await kubectl(['create', 'namespace', NS]);
  for (const account of ACCOUNTS) await kubectl(['create', 'serviceaccount', account, '-n', NS]);
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac() }));
  for (const account of ACCOUNTS) {
    tokens[account] = (await kubectl(['create', 'token', account, '-n', NS])).trim();
    captureSecret(tokens[account]);
  }
  backends = [await startBackend('v1'), await startBackend('v2')];
  await writeFile(
    join(dir, 'router.json'),
    formatRouterConfig({
      model: 'fraud',
      versions: [
        { name: 'v1', weight: 100, url: backends[0].url },
        { name: 'v2', weight: 0, url: backends[1].url },
      ],
      mirror: null,
    }),
  );
  router = await startRouterProcess([
    '--config-file',
    join(dir, 'router.json'),
    '--auth-kubernetes',
    `${NS}/fraud`,
    '--kubeconfig',
    await routerKubeconfig(),
    '--protect-metrics',
  ]);
});

after(async () => {
  await router?.stop();
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const as = (account: Account | undefined, requestId: string): Record<string, string> => ({
  'content-type': 'application/json',
  'x-request-id': requestId,
  ...(account === undefined ? {} : { authorization: `Bearer ${tokens[account]}` }),
});
const infer = (account: Account | undefined, requestId: string, path = '/v2/models/fraud/infer') =>
  send(`${router.url}${path}`, { body, headers: as(account, requestId) });
const errorOf = (answer: { body: Buffer }) => (JSON.parse(answer.body.toString()) as { error: string }).error;

describe('router with Kubernetes tokens', () => {
  test('a ServiceAccount bound to infer on fraud gets 200, another 403, no token 401', async () => {
    const allowed = await infer('caller', 'k8s-allowed');
    assert.equal(allowed.status, 200);
    assert.equal(backends[0].requests.at(-1)?.headers.authorization, undefined, 'the token is not forwarded');
    const other = await infer('stranger', 'k8s-stranger');
    assert.equal(other.status, 403);
    assert.equal(errorOf(other), `system:serviceaccount:${NS}:stranger may not infer on inferenceservices/fraud`);
    const none = await infer(undefined, 'k8s-none');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="kubeinfer"');
    const forged = await send(`${router.url}/v2/models/fraud/infer`, { body, headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(forged.status, 401);
    assert.equal(errorOf(forged), 'the token is not valid for this cluster');
  });

  test('pinning a weight-0 version needs pin as well; pinning a weighted one does not', async () => {
    const shadowPin = await infer('caller', 'k8s-pin-denied', '/v2/models/fraud/versions/v2/infer');
    assert.equal(shadowPin.status, 403);
    assert.match(errorOf(shadowPin), /may not pin a version with weight 0 .*needs the verb pin/);
    assert.equal((await infer('caller', 'k8s-pin-weighted', '/v2/models/fraud/versions/v1/infer')).status, 200);
    const canary = await infer('canary', 'k8s-pin-allowed', '/v2/models/fraud/versions/v2/infer');
    assert.equal(canary.status, 200);
    assert.equal(canary.headers['x-kubeinfer-version'], 'v2');
  });

  test('/metrics and /router/stats need get on their non-resource URLs', async () => {
    for (const path of ['/metrics', '/router/stats']) {
      assert.equal((await send(`${router.url}${path}`, { headers: as('scraper', 'k8s-metrics') })).status, 200, path);
      const denied = await send(`${router.url}${path}`, { headers: as('caller', 'k8s-metrics-denied') });
      assert.equal(denied.status, 403, path);
      assert.equal(errorOf(denied), `system:serviceaccount:${NS}:caller may not get ${path}`);
      assert.equal((await send(`${router.url}${path}`)).status, 401, path);
    }
    assert.equal((await send(`${router.url}/v2/health/ready`)).status, 200, 'health stays open');
  });

  test('audit lines name the ServiceAccount, version, pin and status of each request', async () => {
    const expected: Record<string, [string, string | null, boolean, number]> = {
      'k8s-allowed': [`system:serviceaccount:${NS}:caller`, 'v1', false, 200],
      'k8s-stranger': [`system:serviceaccount:${NS}:stranger`, 'v1', false, 403],
      'k8s-none': ['unauthenticated', 'v1', false, 401],
      'k8s-pin-denied': [`system:serviceaccount:${NS}:caller`, 'v2', true, 403],
      'k8s-pin-allowed': [`system:serviceaccount:${NS}:canary`, 'v2', true, 200],
    };
    const lines = await eventually(
      async () => {
        const found = auditLines(router.logs).filter((line) => String(line.request_id) in expected);
        return found.length === Object.keys(expected).length ? found : undefined;
      },
      'an audit line per request',
      10_000,
    );
    for (const line of lines)
      assert.deepEqual([line.caller, line.version, line.pinned, line.status], expected[String(line.request_id)], JSON.stringify(line));
  });

  test('revoking the RoleBinding takes effect within the decision cache TTL', async () => {
    assert.equal((await infer('caller', 'k8s-before-revoke')).status, 200);
    await kubectl(['delete', 'rolebinding', 'fraud-infer', '-n', NS]);
    await eventually(
      async () => ((await infer('caller', 'k8s-after-revoke')).status === 403 ? true : undefined),
      'caller refused after the RoleBinding is gone',
      30_000,
    );
  });

  test('deleting a ServiceAccount takes its token out within the token cache TTL', async () => {
    assert.equal((await infer('leaver', 'k8s-before-delete')).status, 200);
    await kubectl(['delete', 'serviceaccount', 'leaver', '-n', NS]);
    await eventually(
      async () => ((await infer('leaver', 'k8s-after-delete')).status === 401 ? true : undefined),
      'the deleted ServiceAccount token refused',
      30_000,
    );
  });

  test('no token appears in any log line', () => {
    const text = router.logs.join('\n');
    for (const account of ACCOUNTS) assert.ok(!text.includes(tokens[account]), `the ${account} token was logged`);
  });
});
