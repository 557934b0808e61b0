// kubeinfer as a user installs it, on a real node (containerd, kubelet, kube-proxy,
// CoreDNS): the chart from the locally built operator image, InferenceServices whose init
// containers fetch models from servers on the host, real probes, the router answering
// through the stable Service, called from a pod by Service name. One control plane and one
// operator serve every test in this file, in order (each builds on the one before); the
// disruptions under load of under-load.ts run in the middle, on the same InferenceService.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsClient } from 'aws4fetch';
import { LABEL_COMPONENT, LABEL_ISVC, LABEL_VERSION } from '../../operator/builders/labels.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { OPERATOR_IMAGE } from '../../tools/cluster/index.ts';
import { startHttpServer, startMoto, type Running } from '../../tools/storage/servers.ts';
import { useChartCluster } from '../ship/chart-fixture.ts';
import { clientPod, execNode, inferFromPod, installChart, loadDuring, OPERATOR_NS } from './client.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { deletePodsOneByOne, settled } from './disruption.ts';
import { idleHostState } from './host-state.ts';
import { noneFailed, underLoadTests } from './under-load.ts';

const NS = 'ml';
const MODELS = {
  'v1.onnx': addModel({ scale: 2, offset: 1, features: 1 }),
  'v2.onnx': addModel({ scale: 3, offset: 1, features: 1 }),
  'v1-new.onnx': addModel({ scale: 4, offset: 1, features: 1 }),
};
const SLOW_MODEL = 'v1.onnx';
const stable = (name: string) => `http://${name}.${NS}.svc.cluster.local/v2/models/${name}/infer`;

let models: Running | undefined;
let moto: Running | undefined;
let hostBefore: Record<string, string> = {};
// Registered before the fixture's hooks, so that it runs before the control plane starts.
before(() => {
  hostBefore = idleHostState();
});
const cluster = useChartCluster({
  namespaces: [NS],
  controlPlane: { realNode: true, readyTimeoutMs: 300_000 },
  onStop: async () => {
    await models?.stop();
    await moto?.stop();
  },
});
const hostIp = () => cluster.cp.hostIp ?? assert.fail('the control plane has no real node');
const kubectlJson = async <T>(args: readonly string[]): Promise<T> => JSON.parse(await cluster.kubectlOk([...args, '-o', 'json'])) as T;

// In a suite: its before() runs once the control plane (a root hook) is up.
describe('kubeinfer on a real node', () => {
  before(async () => {
    models = await startHttpServer((req, res) => {
      const name = (req.url ?? '').slice(1);
      const body = MODELS[name as keyof typeof MODELS];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      // v1 arrives in two halves 6 s apart: fetch-model logs progress every 5 s, so its log shows it.
      if (name !== SLOW_MODEL) return void res.end(body);
      const half = Math.floor(body.length / 2);
      res.write(body.subarray(0, half));
      setTimeout(() => res.end(body.subarray(half)), 6_000);
    }, hostIp());
    await cluster.kubectlOk(['apply', '-f', '-'], JSON.stringify(clientPod(NS)));
    await cluster.kubectlOk(['wait', '-n', NS, '--for=condition=Ready', `pod/client`, '--timeout=120s']);
  });

  /** An InferenceService of `versions` (name, model file on the host server, weight), with requests a 2-core node can hold. */
  function inferenceService(name: string, versions: readonly (readonly [string, string, number])[], extra: object = {}): string {
    return JSON.stringify({
      apiVersion: 'serving.kubeinfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name, namespace: NS },
      spec: {
        versions: versions.map(([version, uri, weight]) => ({ name: version, model: { uri }, weight })),
        resources: { requests: { cpu: '50m', memory: '96Mi' } },
        router: { resources: { requests: { cpu: '20m', memory: '48Mi' } } },
        runtime: { workers: 1 },
        ...extra,
      },
    });
  }

  async function modelPods(isvc: string): Promise<{ uid: string; name: string; restarts: number }[]> {
    const list = await kubectlJson<{
      items: { metadata: { uid: string; name: string }; status: { containerStatuses?: { restartCount: number }[] } }[];
    }>(['get', 'pods', '-n', NS, '-l', `${LABEL_ISVC}=${isvc},${LABEL_COMPONENT}=model`]);
    return list.items
      .map((pod) => ({
        uid: pod.metadata.uid,
        name: pod.metadata.name,
        restarts: (pod.status.containerStatuses ?? []).reduce((sum, c) => sum + c.restartCount, 0),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Ready comes from the Deployments; kube-proxy programs the Services a moment later (seconds
   * on a busy machine), and until then calls are refused. Sends batches of 10 until one fully
   * succeeds; returns how many failed before (the tests report it). Batches of 10 keep a 90/10
   * balancer in phase.
   */
  async function failuresUntilAnswering(isvc: string): Promise<number> {
    let failed = 0;
    for (let attempt = 0; attempt < 60; attempt++) {
      const tally = await inferFromPod(cluster, NS, stable(isvc), 10);
      if (tally.failures.length === 0) return failed;
      failed += tally.failures.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return assert.fail(`${stable(isvc)} still fails 60 batches after Ready`);
  }

  const waitReady = (isvc: string) =>
    cluster.kubectlOk(['wait', '-n', NS, '--for=condition=Ready', `inferenceservice/${isvc}`, '--timeout=240s']);

  /** Sets the weights of the two versions of `isvc`. */
  const setWeights = (isvc: string, v1: number, v2: number) =>
    cluster.kubectlOk([
      'patch',
      'inferenceservice',
      isvc,
      '-n',
      NS,
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/versions/0/weight', value: v1 },
        { op: 'replace', path: '/spec/versions/1/weight', value: v2 },
      ]),
    ]);

  test('7. kube-proxy and CoreDNS: a pod reaches the apiserver through kubernetes.default, verified with its service-account CA', async () => {
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const script = `const token = (await import('node:fs')).readFileSync('${sa}/token', 'utf8');
  const res = await fetch('https://kubernetes.default/version', { headers: { authorization: 'Bearer ' + token } });
  console.log(JSON.stringify({ status: res.status, body: await res.json() }));`;
    const out = JSON.parse(await execNode(cluster, NS, script, [], [`NODE_EXTRA_CA_CERTS=${sa}/ca.crt`])) as {
      status: number;
      body: { gitVersion: string };
    };
    assert.equal(out.status, 200);
    assert.match(out.body.gitVersion, /^v1\.35\./);
  });

  test('1. the chart installs the operator from the locally built image, and it becomes Ready', async () => {
    await installChart(cluster);
    const pods = await kubectlJson<{ items: { status: { containerStatuses: { image: string; imageID: string; ready: boolean }[] } }[] }>([
      'get',
      'pods',
      '-n',
      OPERATOR_NS,
    ]);
    assert.equal(pods.items.length, 1);
    const [container] = pods.items[0]!.status.containerStatuses;
    assert.equal(container?.ready, true);
    assert.equal(container?.image, OPERATOR_IMAGE);
    assert.match(container?.imageID ?? '', /^sha256:[0-9a-f]{64}$/, 'containerd ran the imported image');
  });

  test('2. two versions fetched over http from the host: init logs, real probes, Ready, and a 90/10 split seen from a pod', async (t) => {
    const base = models!.url;
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      inferenceService('linear', [
        ['v1', `${base}/v1.onnx`, 90],
        ['v2', `${base}/v2.onnx`, 10],
      ]),
    );
    await waitReady('linear');
    const [pod] = await modelPods('linear');
    const fetchLog = await cluster.kubectlOk(['logs', '-n', NS, pod!.name, '-c', 'fetch-model']);
    const events = fetchLog
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; uri?: string; bytes?: number });
    assert.deepEqual(
      events.map((event) => event.msg),
      ['fetch-model start', 'fetch-model progress', 'fetch-model done', 'model ready'],
    );
    assert.equal(events[0]?.uri, `${models!.url}/${SLOW_MODEL}`);
    assert.ok((events[1]?.bytes ?? 0) > 0, 'progress counts the bytes that arrived');
    assert.equal(events[2]?.bytes, MODELS[SLOW_MODEL].length);
    t.diagnostic(`requests failed after Ready, before the Service answered: ${await failuresUntilAnswering('linear')}`);
    const tally = await inferFromPod(cluster, NS, stable('linear'), 200);
    assert.deepEqual(tally, { answers: { 'v1=3': 180, 'v2=4': 20 }, failures: [] });
  });

  test('3. a weight change moves the split within seconds, restarting no model pod', async () => {
    const before = await modelPods('linear');
    await setWeights('linear', 50, 50);
    let tally = await inferFromPod(cluster, NS, stable('linear'), 100);
    for (let attempt = 0; attempt < 20 && tally.answers['v2=4'] !== 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      tally = await inferFromPod(cluster, NS, stable('linear'), 100);
    }
    assert.deepEqual(tally, { answers: { 'v1=3': 50, 'v2=4': 50 }, failures: [] });
    const now = await modelPods('linear');
    assert.deepEqual(now, before, 'same pods (UIDs), no restarts');
    assert.ok(now.every((pod) => pod.restarts === 0));
  });

  test("4. under load, a rolling update (new model URI), then the version's pods deleted one by one: no request fails", async (t) => {
    const v1Pods = `${LABEL_ISVC}=linear,${LABEL_COMPONENT}=model,${LABEL_VERSION}=v1`;
    const rolling = await loadDuring(cluster, NS, stable('linear'), 20, async () => {
      await cluster.kubectlOk([
        'patch',
        'inferenceservice',
        'linear',
        '-n',
        NS,
        '--type=json',
        '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/versions/0/model/uri', value: `${models!.url}/v1-new.onnx` }]),
      ]);
      const template = ['get', 'deployment', 'linear-v1', '-n', NS, '-o', 'jsonpath={.spec.template}'];
      await eventually(
        async () => ((await cluster.kubectlOk(template)).includes('v1-new.onnx') ? true : undefined),
        'the new URI in linear-v1',
      );
      await cluster.kubectlOk(['rollout', 'status', '-n', NS, 'deployment/linear-v1', '--timeout=180s']);
      await settled(cluster, NS, v1Pods, 1);
    });
    noneFailed(t, 'rolling update', rolling);
    assert.ok((rolling.answers['v1=5'] ?? 0) > 0, 'the new model answers after the rollout');
    // One by one: two pods, so that one serves while the other is replaced.
    const twoReplicas = [{ op: 'add', path: '/spec/versions/0/replicas', value: 2 }];
    await cluster.kubectlOk(['patch', 'inferenceservice', 'linear', '-n', NS, '--type=json', '-p', JSON.stringify(twoReplicas)]);
    await settled(cluster, NS, v1Pods, 2);
    const deleted = await loadDuring(cluster, NS, stable('linear'), 20, async () => {
      assert.equal((await deletePodsOneByOne(cluster, NS, v1Pods)).length, 2);
    });
    noneFailed(t, "version v1's pods deleted one by one", deleted);
  });

  underLoadTests(cluster, { namespace: NS, name: 'linear', url: stable('linear'), setWeights: (v1, v2) => setWeights('linear', v1, v2) });

  test('5. an s3:// model from moto on the host, with the credentials Secret: fetched and served', async (t) => {
    moto = await startMoto({}, hostIp());
    const s3 = new AwsClient({ accessKeyId: 'test', secretAccessKey: 'test', service: 's3', region: 'us-east-1' });
    assert.equal((await s3.fetch(`${moto.url}/models`, { method: 'PUT' })).status, 200);
    assert.equal((await s3.fetch(`${moto.url}/models/linear/model.onnx`, { method: 'PUT', body: MODELS['v2.onnx'] })).status, 200);
    await cluster.kubectlOk([
      'create',
      'secret',
      'generic',
      's3-credentials',
      '-n',
      NS,
      '--from-literal=AWS_ACCESS_KEY_ID=test',
      '--from-literal=AWS_SECRET_ACCESS_KEY=test',
      '--from-literal=AWS_REGION=us-east-1',
      `--from-literal=AWS_ENDPOINT_URL=${moto.url}`,
    ]);
    // Only a Secret that opts in may serve as storage credentials.
    await cluster.kubectlOk(['label', 'secret', 's3-credentials', '-n', NS, 'serving.kubeinfer.io/storage-credentials=true']);
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      inferenceService('froms3', [['v1', 's3://models/linear/model.onnx', 100]], { storage: { secretRef: { name: 's3-credentials' } } }),
    );
    await waitReady('froms3');
    t.diagnostic(`requests failed after Ready, before the Service answered: ${await failuresUntilAnswering('froms3')}`);
    assert.deepEqual(await inferFromPod(cluster, NS, stable('froms3'), 10), { answers: { 'v1=4': 10 }, failures: [] });
  });

  test('6. deleting the InferenceServices removes every pod; uninstalling the chart keeps the CRD', async () => {
    await cluster.kubectlOk(['delete', 'inferenceservice', '--all', '-n', NS, '--wait=true']);
    await cluster.kubectlOk(['wait', '-n', NS, '--for=delete', 'pod', '-l', LABEL_ISVC, '--timeout=120s']);
    const left = await kubectlJson<{ items: unknown[] }>(['get', 'pods', '-n', NS, '-l', LABEL_ISVC]);
    assert.equal(left.items.length, 0);
    await cluster.helmOk(['uninstall', 'kubeinfer', '-n', OPERATOR_NS, '--wait']);
    await cluster.kubectlOk(['get', 'crd', 'inferenceservices.serving.kubeinfer.io']);
  });

  test('stopping the control plane stops every pod and leaves links, iptables, mounts, cgroups, sysctls and fixed dirs as they were', async () => {
    await cluster.cp.stop();
    assert.deepEqual(idleHostState(), hostBefore);
  });
});
