// The operator-side CLI as a user runs it: `render` offline, and `status`,
// `promote`, `rollback` against a real control plane with the operator running.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadInferenceServices } from '../../api/index.ts';
import { renderObjects } from '../../operator/cli/render.ts';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import type { KubeClient } from '../../kube/client.ts';
import { ConfigMapKind, InferenceServiceKind } from '../../kube/resources.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  eventually,
  inferenceService,
  read,
  startClusterWithCrd,
  startTestOperator,
  waitReady,
} from './harness.ts';

const CANARY = `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata: {name: fraud, namespace: ml}
spec:
  versions:
    - {name: v1, model: {uri: "s3://models/fraud/1/model.onnx"}, weight: 90}
    - {name: v2, model: {uri: "s3://models/fraud/2/model.onnx"}, weight: 10}
`;

function kubeinfer(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/kubeinfer.ts', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

describe('kubeinfer render', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'kubeinfer-render-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints exactly the objects the builders produce, as YAML documents', async () => {
    const file = join(dir, 'canary.yaml');
    await writeFile(file, CANARY);
    const result = await kubeinfer(['render', '-f', file, '--runtime-image', 'registry.example/kubeinfer:9']);
    assert.equal(result.code, 0, result.stderr);
    const documents = parseAllDocuments(result.stdout).map((document) => document.toJS());
    const loaded = loadInferenceServices(CANARY);
    assert.ok(loaded.ok);
    const [service] = loaded.services;
    assert.ok(service, 'the canary example holds an InferenceService');
    assert.deepEqual(documents, renderObjects(service, { runtimeImage: 'registry.example/kubeinfer:9' }, 'default'));
    assert.deepEqual(
      documents.map((d) => `${d.kind}/${d.metadata.name}`),
      [
        'NetworkPolicy/fraud',
        'ServiceAccount/fraud-router',
        'Role/fraud-router',
        'RoleBinding/fraud-router',
        'ConfigMap/fraud-router',
        'Deployment/fraud-v1',
        'Service/fraud-v1',
        'Deployment/fraud-v2',
        'Service/fraud-v2',
        'Deployment/fraud-router',
        'PodDisruptionBudget/fraud-router',
        'Service/fraud',
      ],
    );
    assert.ok(documents.every((d) => d.metadata.namespace === 'ml' && d.metadata.ownerReferences === undefined));
  });

  it('reads stdin and refuses invalid manifests with the validation message', async () => {
    const bad = CANARY.replace('weight: 10', 'weight: 20');
    const result = await kubeinfer(['render', '-f', '-'], bad);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /<stdin>.*weights.*100/i);
    assert.equal(result.stdout, '');
  });
});

describe('kubeinfer status / promote / rollback', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator;
  let ns: string;

  before(async () => {
    cp = await startClusterWithCrd();
    admin = adminClient(cp);
    operator = await startTestOperator(cp);
    ns = await createNamespace(cp, 'cli');
    await applyAsUser(
      admin,
      inferenceService(ns, 'fraud', [
        { name: 'v1', weight: 90 },
        { name: 'v2', weight: 10 },
      ]),
    );
    await waitReady(admin, ns, 'fraud');
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  const routerWeights = async () => {
    const config = (await read(admin, ConfigMapKind, ns, 'fraud-router')) as unknown as { data: Record<string, string> };
    const routerJson = config.data['router.json'];
    assert.ok(routerJson, 'the router ConfigMap holds router.json');
    return JSON.parse(routerJson)
      .versions.map((v: { name: string; weight: number }) => `${v.name}=${v.weight}`)
      .join(',');
  };

  it('shows readiness, URL and each version', async () => {
    const result = await kubeinfer(['status', 'fraud', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`URL: +http://fraud\\.${ns}\\.svc\\.cluster\\.local`));
    assert.match(result.stdout, new RegExp(`gRPC: +fraud\\.${ns}\\.svc\\.cluster\\.local:8081 `));
    assert.match(result.stdout, /Ready: +True \(Ready\)/);
    assert.match(result.stdout, /v1 +90 +true +1\/1 +- +https:\/\/models\.example\/fraud\/v1\/model\.onnx/);
    assert.match(result.stdout, /v2 +10 +true +1\/1/);
    const json = await kubeinfer(['status', 'fraud', '-n', ns, '-o', 'json', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(JSON.parse(json.stdout).trafficSummary, 'v1=90,v2=10');
    const missing = await kubeinfer(['status', 'nope', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NotFound/);
  });

  it('promotes by editing spec weights (printing the kubectl equivalent) and the router follows', async () => {
    const dry = await kubeinfer(['promote', 'fraud', 'v2', '-n', ns, '--dry-run', '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`kubectl patch inferenceservice fraud -n ${ns} --type=json -p`));
    assert.equal(await routerWeights(), 'v1=90,v2=10', 'dry run changes nothing');

    const promoted = await kubeinfer(['promote', 'fraud', 'v2', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(promoted.code, 0, promoted.stderr);
    const isvc = (await read(admin, InferenceServiceKind, ns, 'fraud')) as any;
    assert.deepEqual(
      isvc.spec.versions.map((v: { weight: number }) => v.weight),
      [0, 100],
    );
    await eventually(async () => ((await routerWeights()) === 'v1=0,v2=100' ? true : undefined), 'router weights after promote');
    const ready = await waitReady(admin, ns, 'fraud');
    assert.equal(ready.status?.trafficSummary, 'v1=0,v2=100');

    const rolledBack = await kubeinfer(['rollback', 'fraud', 'v1', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.match(rolledBack.stdout, /rolled back to v1/);
    await eventually(async () => ((await routerWeights()) === 'v1=100,v2=0' ? true : undefined), 'router weights after rollback');

    const again = await kubeinfer(['rollback', 'fraud', 'v1', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already receives all traffic/);
    const unknown = await kubeinfer(['promote', 'fraud', 'v7', '-n', ns, '--kubeconfig', cp.kubeconfigPath]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no version "v7"; it has v1, v2/);
  });
});
