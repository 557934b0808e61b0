// `kubeinfer top <name> --once` against a real apiserver: the router pod is read through the
// apiserver's pod proxy, replicas come from the InferenceService's status. No node runs the
// pod: its status names this host's address, where a real router (in front of a real serve)
// listens; the apiserver proxies to a pod's IP itself and refuses loopback, hence that address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { freePort } from '../../tools/cluster/index.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { startRouter } from '../../runtime/router/index.ts';
import { LABEL_COMPONENT, LABEL_ISVC } from '../../operator/builders/labels.ts';
import { createNamespace, startClusterWithCrd } from '../operator/harness.ts';
import { startTestServer } from '../runtime/harness.ts';
import { kubeinfer, loadUntil, tableRows } from './support.ts';

/** This host's first non-loopback IPv4 address: one the apiserver will proxy to. */
function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal);
  assert.ok(address, 'this host has a non-loopback IPv4 address for the apiserver to proxy to');
  return address.address;
}

const ISVC = `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata: {name: fraud, namespace: ml}
spec:
  versions:
    - {name: v1, model: {uri: "s3://models/fraud/1/model.onnx"}, weight: 90}
    - {name: v2, model: {uri: "s3://models/fraud/2/model.onnx"}, weight: 10}
`;

test('top --once reads router pods through the pod proxy and replicas from the status', async (t) => {
  const cp = await startClusterWithCrd({ kwok: false, scheduler: false });
  t.after(() => cp.stop());
  await createNamespace(cp, 'ml');
  const server = await startTestServer(t, addModel(), { name: 'fraud', 'shutdown-delay-ms': '0' });
  const host = hostAddress();
  const router = await startRouter({ host, port: 0 });
  t.after(() => router.close(0));
  const dead = `http://127.0.0.1:${await freePort()}`;
  router.apply({
    model: 'fraud',
    versions: [
      { name: 'v1', weight: 90, url: server.url },
      { name: 'v2', weight: 10, url: dead },
    ],
    mirror: null,
  });

  const kubectl = async (args: string[], input?: string) => {
    const result = await cp.kubectl(args, input === undefined ? {} : { input });
    assert.equal(result.code, 0, result.stderr);
  };
  await kubectl(['apply', '-f', '-'], ISVC);
  const versions = [
    { name: 'v1', weight: 90, replicas: 2, readyReplicas: 2, ready: true },
    { name: 'v2', weight: 10, replicas: 1, readyReplicas: 0, ready: false, reason: 'Progressing', message: 'rolling out' },
  ];
  await kubectl([
    '-n',
    'ml',
    'patch',
    'inferenceservice',
    'fraud',
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { versions } }),
  ]);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fraud-router-0', namespace: 'ml', labels: { [LABEL_ISVC]: 'fraud', [LABEL_COMPONENT]: 'router' } },
    spec: {
      containers: [{ name: 'router', image: 'registry.example/kubeinfer:test', ports: [{ name: 'http', containerPort: router.port }] }],
    },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  const running = { status: { phase: 'Running', podIP: host, podIPs: [{ ip: host }] } };
  await kubectl(['-n', 'ml', 'patch', 'pod', 'fraud-router-0', '--subresource=status', '--type=merge', '-p', JSON.stringify(running)]);

  const top = kubeinfer(['top', 'fraud', '-n', 'ml', '--kubeconfig', cp.kubeconfigPath, '--once', '--interval', '1']);
  await loadUntil(router.url, 'fraud', top);
  const { code, stdout, stderr } = await top;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^ml\/fraud: 1 router, last 1s/);
  const rows = tableRows(stdout);
  assert.equal(rows.get('v1')?.REPLICAS, '2/2');
  assert.equal(rows.get('v2')?.REPLICAS, '0/1');
  assert.equal(rows.get('v1')?.WEIGHT, '90%');
  assert.ok(Number(rows.get('v1')?.['REQ/S']) > 0, stdout);
  assert.equal(rows.get('v2')?.['ERR%'], '100.0%');
});
