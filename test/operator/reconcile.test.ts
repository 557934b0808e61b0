// The operator against a real control plane (kube-apiserver, controller-manager,
// scheduler, kwok nodes): what it creates, how it converges on changes and
// drift, that a converged reconcile writes nothing, how it reports problems, and what a
// declared pipeline adds to a version's pod. One control plane and one in-process operator for the file; each
// test works in its own namespace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CRD_NAME, CRD_PATH, parseRuntimePipeline, type InferenceService } from '../../api/index.ts';
import type { RunningOperator } from '../../operator/controller/manager.ts';
import type { KubeClient } from '../../kube/client.ts';
import {
  ConfigMapKind,
  DeploymentKind,
  EventKind,
  HorizontalPodAutoscalerKind,
  PodDisruptionBudgetKind,
  InferenceServiceKind,
  PodKind,
  RoleBindingKind,
  RoleKind,
  SecretKind,
  ServiceAccountKind,
  ServiceKind,
} from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import {
  adminClient,
  applyAsUser,
  createNamespace,
  eventually,
  inferenceService,
  names,
  read,
  RUNTIME_IMAGE,
  startClusterWithCrd,
  startTestOperator,
  storedVersions,
  waitCondition,
  waitCrdEstablished,
  waitReady,
} from './harness.ts';

const ISVC_SELECTOR = (name: string) => `serving.kubeinfer.io/inferenceservice=${name}`;

describe('operator reconcile', () => {
  let cp: ControlPlane;
  let admin: KubeClient;
  let operator: RunningOperator;

  before(async () => {
    cp = await startClusterWithCrd();
    admin = adminClient(cp);
    operator = await startTestOperator(cp, { secretRecheckMs: 500 });
  });
  after(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  /** Waits until the operator has nothing queued or running. */
  async function idle(): Promise<void> {
    await eventually(
      async () => (operator.controller.queue.length === 0 && operator.controller.queue.inFlight === 0 ? true : undefined),
      'operator idle',
    );
  }

  /** Write requests by `verb resource` since the last call. */
  async function writes(): Promise<Record<string, number>> {
    const values = (await operator.metrics.apiWrites.get()).values;
    return Object.fromEntries(values.map((v) => [`${v.labels.verb} ${v.labels.resource}`, v.value]));
  }
  const delta = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(after)
        .map(([key, value]) => [key, value - (before[key] ?? 0)])
        .filter(([, value]) => value !== 0),
    );

  async function reasonsOf(namespace: string, name: string): Promise<string[]> {
    const listed = await admin.list(EventKind, {
      namespace,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=InferenceService`,
    });
    assert.ok(listed.ok);
    return listed.value.items.map((event) => `${event.reason as string}: ${event.message as string}`);
  }

  it('creates every child with the right fields and reports Ready with per-version counts', async () => {
    const ns = await createNamespace(cp, 'create');
    const isvc = inferenceService(
      ns,
      'fraud',
      [
        { name: 'v1', weight: 90 },
        { name: 'v2', weight: 10 },
      ],
      { replicas: 2 },
    );
    await applyAsUser(admin, isvc);
    const ready = await waitReady(admin, ns, 'fraud');
    assert.equal(ready.status?.url, `http://fraud.${ns}.svc.cluster.local`);
    assert.equal(ready.status?.trafficSummary, 'v1=90,v2=10');
    assert.deepEqual(ready.status?.versions, [
      { name: 'v1', weight: 90, replicas: 2, readyReplicas: 2, ready: true },
      { name: 'v2', weight: 10, replicas: 2, readyReplicas: 2, ready: true },
    ]);
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    const waited = await cp.kubectl(['wait', '--for=condition=Ready', '--timeout=10s', '-n', ns, 'inferenceservice/fraud']);
    assert.equal(waited.code, 0, `kubectl wait reads the Ready condition: ${waited.stderr}`);

    const selector = ISVC_SELECTOR('fraud');
    assert.deepEqual(await names(admin, DeploymentKind, ns, selector), ['fraud-router', 'fraud-v1', 'fraud-v2']);
    assert.deepEqual(await names(admin, ServiceKind, ns, selector), ['fraud', 'fraud-v1', 'fraud-v2']);
    assert.deepEqual(await names(admin, ConfigMapKind, ns, selector), ['fraud-router']);
    for (const kind of [ServiceAccountKind, RoleKind, RoleBindingKind])
      assert.deepEqual(await names(admin, kind, ns, selector), ['fraud-router']);
    assert.deepEqual(await names(admin, HorizontalPodAutoscalerKind, ns, selector), []);

    assert.deepEqual(await names(admin, PodDisruptionBudgetKind, ns, selector), ['fraud-router']);
    const deployment = (await read(admin, DeploymentKind, ns, 'fraud-v1')) as any;
    assert.equal(deployment.spec.replicas, 2);
    // What the apiserver stored: a drop-nothing termination and bounded volumes and memory.
    const pod = deployment.spec.template.spec;
    assert.deepEqual(pod.containers[0].lifecycle, { preStop: { sleep: { seconds: 5 } } });
    assert.equal(pod.terminationGracePeriodSeconds, 40);
    assert.equal(pod.volumes.find((volume: any) => volume.name === 'model').emptyDir.sizeLimit, '20Gi');
    const router = (await read(admin, DeploymentKind, ns, 'fraud-router')) as any;
    assert.equal(router.spec.replicas, 2);
    assert.equal(router.spec.template.spec.topologySpreadConstraints[0].topologyKey, 'kubernetes.io/hostname');
    assert.equal(router.spec.template.spec.containers[0].resources.limits.memory, '512Mi');
    assert.equal(deployment.spec.template.spec.containers[0].image, RUNTIME_IMAGE);
    assert.deepEqual(
      deployment.metadata.ownerReferences.map((ref: any) => [ref.kind, ref.name, ref.uid, ref.controller]),
      [['InferenceService', 'fraud', ready.metadata.uid, true]],
    );
    assert.deepEqual(
      [...new Set(deployment.metadata.managedFields.filter((f: any) => f.operation === 'Apply').map((f: any) => f.manager))],
      ['kubeinfer-operator'],
    );
    const config = (await read(admin, ConfigMapKind, ns, 'fraud-router')) as any;
    assert.deepEqual(
      JSON.parse(config.data['router.json']).versions.map((v: any) => [v.name, v.weight, v.url]),
      [
        ['v1', 90, `http://fraud-v1.${ns}.svc:80`],
        ['v2', 10, `http://fraud-v2.${ns}.svc:80`],
      ],
    );
    const pods = await admin.list(PodKind, { namespace: ns, labelSelector: `${selector},serving.kubeinfer.io/component=model` });
    assert.ok(pods.ok && pods.value.items.length === 4);

    const events = await reasonsOf(ns, 'fraud');
    assert.ok(
      events.some((event) => /^Created: Created .*Deployment fraud-v1, .*Service fraud$/.test(event)),
      events.join('\n'),
    );
    assert.equal(events.filter((event) => event.startsWith('Created:')).length, 1, 'one event for all children created together');
    assert.ok(
      events.some((event) => event.startsWith('Ready:')),
      events.join('\n'),
    );
  });

  it('schedules GPU pods only onto matching GPU nodes, and stalls on a GPU no node offers', async () => {
    const ns = await createNamespace(cp, 'gpu');
    await applyAsUser(admin, inferenceService(ns, 't4', [{ name: 'v1' }], { gpu: { count: 1, products: ['Tesla-T4'] } }));
    await applyAsUser(admin, inferenceService(ns, 'big', [{ name: 'v1' }], { gpu: { count: 2, memoryMiB: 40960 }, replicas: 2 }));
    await waitReady(admin, ns, 't4');
    await waitReady(admin, ns, 'big');
    const nodeOf = async (isvcName: string) => {
      const pods = await admin.list(PodKind, {
        namespace: ns,
        labelSelector: `${ISVC_SELECTOR(isvcName)},serving.kubeinfer.io/component=model`,
      });
      assert.ok(pods.ok);
      return pods.value.items.map((pod) => (pod.spec as { nodeName?: string }).nodeName);
    };
    assert.deepEqual(await nodeOf('t4'), ['gpu-t4-0']);
    assert.deepEqual(await nodeOf('big'), ['gpu-a100-0', 'gpu-a100-0']);
    const routers = await admin.list(PodKind, { namespace: ns, labelSelector: 'serving.kubeinfer.io/component=router' });
    assert.ok(routers.ok && routers.value.items.every((pod) => ['cpu-0', 'cpu-1'].includes((pod.spec as { nodeName: string }).nodeName)));

    await applyAsUser(admin, inferenceService(ns, 'h100', [{ name: 'v1' }], { gpu: { count: 1, products: ['NVIDIA-H100-80GB-HBM3'] } }));
    const stalled = await waitCondition(admin, ns, 'h100', 'Stalled', 'True');
    assert.equal(stalled.reason, 'GPUUnavailable');
    assert.match(stalled.message, /NVIDIA-H100-80GB-HBM3.*nodes offer: .*Tesla-T4/);
    const ready = await waitCondition(admin, ns, 'h100', 'Ready', 'False');
    assert.equal(ready.reason, 'GPUUnavailable');
    assert.ok((await reasonsOf(ns, 'h100')).some((event) => event.startsWith('GPUUnavailable:')));
  });

  it('applies a weight change to the router ConfigMap only; no Deployment is modified', async () => {
    const ns = await createNamespace(cp, 'weights');
    const isvc = inferenceService(ns, 'fraud', [
      { name: 'v1', weight: 90 },
      { name: 'v2', weight: 10 },
    ]);
    await applyAsUser(admin, isvc);
    await waitReady(admin, ns, 'fraud');
    await idle();
    const versions = async () =>
      Object.fromEntries(
        await Promise.all(
          ['fraud-v1', 'fraud-v2', 'fraud-router'].map(async (name) => {
            const deployment = await read(admin, DeploymentKind, ns, name);
            return [name, `${deployment?.metadata.generation}/${JSON.stringify((deployment as any).spec)}`];
          }),
        ),
      );
    const deploymentsBefore = await versions();
    const writesBefore = await writes();

    await applyAsUser(
      admin,
      inferenceService(ns, 'fraud', [
        { name: 'v1', weight: 40 },
        { name: 'v2', weight: 60 },
      ]),
    );
    await eventually(async () => {
      const config = (await read(admin, ConfigMapKind, ns, 'fraud-router')) as any;
      return JSON.parse(config.data['router.json']).versions[1].weight === 60 ? true : undefined;
    }, 'router ConfigMap with the new weights');
    const updated = await waitReady(admin, ns, 'fraud');
    assert.deepEqual(
      updated.status?.versions?.map((v) => [v.name, v.weight]),
      [
        ['v1', 40],
        ['v2', 60],
      ],
    );
    assert.equal(updated.status?.trafficSummary, 'v1=40,v2=60');
    await idle();
    assert.deepEqual(await versions(), deploymentsBefore);
    const applied = Object.entries(delta(writesBefore, await writes())).filter(
      ([key]) => key.startsWith('apply ') && key !== 'apply inferenceservices/status',
    );
    assert.deepEqual(applied, [['apply configmaps', 1]]);
  });

  it('adds and removes versions with their children, and updates the router', async () => {
    const ns = await createNamespace(cp, 'versions');
    await applyAsUser(admin, inferenceService(ns, 'fraud', [{ name: 'v1', weight: 100 }]));
    await waitReady(admin, ns, 'fraud');
    await applyAsUser(
      admin,
      inferenceService(
        ns,
        'fraud',
        [
          { name: 'v1', weight: 80 },
          { name: 'v2', weight: 20 },
        ],
        { autoscaling: { minReplicas: 2, maxReplicas: 4, metric: 'concurrency' } },
      ),
    );
    const grown = await waitReady(admin, ns, 'fraud');
    assert.deepEqual(
      grown.status?.versions?.map((v) => [v.name, v.ready, v.readyReplicas]),
      [
        ['v1', true, 2],
        ['v2', true, 2],
      ],
    );
    assert.deepEqual(await names(admin, HorizontalPodAutoscalerKind, ns), ['fraud-v1', 'fraud-v2']);
    const hpa = (await read(admin, HorizontalPodAutoscalerKind, ns, 'fraud-v2')) as any;
    assert.deepEqual(hpa.spec.metrics[0].pods.metric, { name: 'kubeinfer_inference_inflight_requests' });
    const v2 = (await read(admin, DeploymentKind, ns, 'fraud-v2')) as any;
    assert.equal(v2.spec.replicas, 2, 'the HPA controller scaled the Deployment to minReplicas');
    assert.ok(
      !v2.metadata.managedFields.some(
        (f: any) => f.manager === 'kubeinfer-operator' && JSON.stringify(f.fieldsV1).includes('"f:replicas"'),
      ),
      'the operator does not own spec.replicas',
    );

    await applyAsUser(
      admin,
      inferenceService(ns, 'fraud', [{ name: 'v2', weight: 100 }], {
        autoscaling: { minReplicas: 2, maxReplicas: 4, metric: 'concurrency' },
      }),
    );
    await eventually(
      async () => ((await names(admin, DeploymentKind, ns)).join() === 'fraud-router,fraud-v2' ? true : undefined),
      'v1 Deployment deleted',
    );
    assert.deepEqual(await names(admin, ServiceKind, ns), ['fraud', 'fraud-v2']);
    assert.deepEqual(await names(admin, HorizontalPodAutoscalerKind, ns), ['fraud-v2']);
    const config = (await read(admin, ConfigMapKind, ns, 'fraud-router')) as any;
    assert.deepEqual(
      JSON.parse(config.data['router.json']).versions.map((v: any) => v.name),
      ['v2'],
    );
    const shrunk = await waitReady(admin, ns, 'fraud');
    assert.deepEqual(
      shrunk.status?.versions?.map((v) => v.name),
      ['v2'],
    );
    const deleted = (await reasonsOf(ns, 'fraud')).filter((event) => event.startsWith('Deleted:'));
    assert.ok(
      deleted.some((event) => /Deployment fraud-v1\b.*: no longer in the spec$/.test(event)),
      deleted.join('\n'),
    );
  });

  it('restores children edited or deleted by hand', async () => {
    const ns = await createNamespace(cp, 'drift');
    await applyAsUser(admin, inferenceService(ns, 'fraud', [{ name: 'v1' }]));
    await waitReady(admin, ns, 'fraud');
    const meddler = adminClient(cp, 'kubectl-edit');
    const edited = await meddler.patch(DeploymentKind, { namespace: ns, name: 'fraud-v1' }, [
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'evil:latest' },
    ]);
    assert.ok(edited.ok);
    await meddler.patch(ConfigMapKind, { namespace: ns, name: 'fraud-router' }, [
      { op: 'replace', path: '/data/router.json', value: '{}' },
    ]);
    assert.ok((await meddler.delete(ServiceKind, { namespace: ns, name: 'fraud-v1' })).ok);
    await eventually(async () => {
      const deployment = (await read(admin, DeploymentKind, ns, 'fraud-v1')) as any;
      const config = (await read(admin, ConfigMapKind, ns, 'fraud-router')) as any;
      const service = await read(admin, ServiceKind, ns, 'fraud-v1');
      const restored =
        deployment.spec.template.spec.containers[0].image === RUNTIME_IMAGE && config.data['router.json'] !== '{}' && service !== undefined;
      return restored ? true : undefined;
    }, 'image, router config and Service restored');
    const updates = (await reasonsOf(ns, 'fraud')).filter((event) => event.startsWith('Updated:'));
    assert.ok(
      updates.some((event) => /Deployment fraud-v1\b.*: restored fields changed outside the operator$/.test(event)),
      updates.join('\n'),
    );
  });

  it('writes nothing when a reconcile has nothing to change', async () => {
    const ns = await createNamespace(cp, 'noop');
    for (const name of ['a', 'b', 'c'])
      await applyAsUser(
        admin,
        inferenceService(
          ns,
          name,
          [
            { name: 'v1', weight: 50 },
            { name: 'v2', weight: 50 },
          ],
          { autoscaling: { minReplicas: 1, maxReplicas: 3, metric: 'concurrency' } },
        ),
      );
    for (const name of ['a', 'b', 'c']) await waitReady(admin, ns, name);
    await idle();
    const total = async () => (await operator.metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    const writesBefore = await operator.metrics.writeCount();
    const reconcilesBefore = await total();
    const storedBefore = await storedVersions(admin, ns);
    operator.controller.enqueueAll();
    await idle();
    assert.ok((await total()) - reconcilesBefore >= 3, 'every InferenceService was reconciled again');
    // The operator's own count of write requests, and what the apiserver stored: both unchanged.
    assert.equal((await operator.metrics.writeCount()) - writesBefore, 0);
    assert.deepEqual(await storedVersions(admin, ns), storedBefore);
    const scrape = await (await fetch(`http://127.0.0.1:${operator.probes.port}/metrics`)).text();
    assert.match(scrape, /kubeinfer_operator_api_writes_total\{verb="apply",resource="deployments"\} \d+/);
    assert.match(scrape, /kubeinfer_operator_reconcile_duration_seconds_count \d+/);
    assert.match(scrape, /kubeinfer_operator_queue_depth 0/);
  });

  it('stalls on a missing or incomplete credentials Secret and recovers once it is fixed', async () => {
    const ns = await createNamespace(cp, 'secret');
    await applyAsUser(
      admin,
      inferenceService(ns, 'fraud', [{ name: 'v1', uri: 's3://bucket/fraud/model.onnx' }], { storage: { secretRef: { name: 'store' } } }),
    );
    const missing = await waitCondition(admin, ns, 'fraud', 'Stalled', 'True');
    assert.equal(missing.reason, 'StorageSecretNotFound');
    assert.match(missing.message, /Secret store named in spec.storage.secretRef does not exist/);
    const secret = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'store', namespace: ns, labels: { 'serving.kubeinfer.io/storage-credentials': 'true' } },
      stringData: data,
    });
    await applyAsUser(admin, secret({ AWS_ACCESS_KEY_ID: 'id' }));
    const partial = await eventually(async () => {
      const condition = await waitCondition(admin, ns, 'fraud', 'Stalled', 'True');
      return condition.reason === 'StorageCredentialsIncomplete' ? condition : undefined;
    }, 'StorageCredentialsIncomplete');
    assert.match(partial.message, /has AWS_ACCESS_KEY_ID but not AWS_SECRET_ACCESS_KEY/);
    await applyAsUser(admin, secret({ AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'key' }));
    const ready = await waitReady(admin, ns, 'fraud');
    assert.equal(
      ready.status?.conditions?.some((c) => c.type === 'Stalled'),
      false,
    );
    const deployment = (await read(admin, DeploymentKind, ns, 'fraud-v1')) as any;
    assert.equal(deployment.spec.template.spec.volumes.find((v: any) => v.name === 'storage-credentials').secret.secretName, 'store');
    assert.ok(await read(admin, SecretKind, ns, 'store'));
  });

  it('garbage-collects every child when the InferenceService is deleted', async () => {
    const ns = await createNamespace(cp, 'delete');
    await applyAsUser(
      admin,
      inferenceService(
        ns,
        'fraud',
        [
          { name: 'v1', weight: 50 },
          { name: 'v2', weight: 50 },
        ],
        { autoscaling: { minReplicas: 1, maxReplicas: 2, metric: 'concurrency' } },
      ),
    );
    await waitReady(admin, ns, 'fraud');
    assert.ok((await admin.delete(InferenceServiceKind, { namespace: ns, name: 'fraud' })).ok);
    const selector = ISVC_SELECTOR('fraud');
    await eventually(
      async () => {
        const left = await Promise.all(
          [
            DeploymentKind,
            ServiceKind,
            HorizontalPodAutoscalerKind,
            ConfigMapKind,
            ServiceAccountKind,
            RoleKind,
            RoleBindingKind,
            PodKind,
          ].map((kind) => names(admin, kind, ns, selector)),
        );
        return left.every((list) => list.length === 0) ? true : undefined;
      },
      'every child garbage-collected',
      90_000,
    );
  });

  it('applies a version with labels and a pipeline: one fetch-model per file, the serve settings, Ready', async () => {
    const ns = await createNamespace(cp, 'pipeline');
    const base = inferenceService(ns, 'vision', [{ name: 'v1' }]);
    const image = { input: 'image', output: 'pixels', width: 224, height: 224, std: [0.229, 0.224, 0.225] };
    await applyAsUser(admin, {
      ...base,
      spec: {
        ...base.spec,
        versions: [
          {
            ...base.spec.versions[0]!,
            model: { ...base.spec.versions[0]!.model, labels: { uri: 'https://models.example/vision/labels.txt' } },
            pipeline: { preprocess: [{ image }], postprocess: [{ model: { uri: 'https://models.example/vision/argmax.onnx' } }] },
          },
        ],
      },
    });
    await waitReady(admin, ns, 'vision');
    const pod = ((await read(admin, DeploymentKind, ns, 'vision-v1')) as any).spec.template.spec;
    assert.deepEqual(
      pod.initContainers.map((container: { name: string }) => container.name),
      ['fetch-model', 'fetch-labels', 'fetch-postprocess-0'],
    );
    const env = Object.fromEntries(pod.containers[0].env.map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    assert.equal(env.KUBEINFER_LABELS_PATH, '/mnt/artifacts/labels/labels.txt');
    const pipeline = parseRuntimePipeline(env.KUBEINFER_PIPELINE);
    assert.ok(pipeline.ok, JSON.stringify(pipeline));
    assert.deepEqual(pipeline.value.postprocess, [{ model: '/mnt/artifacts/postprocess-0/model.onnx' }]);
    assert.deepEqual((pipeline.value.preprocess[0] as { image: { std: readonly number[] } }).image.std, image.std);
  });

  it('restarts its informers after a watch fails and keeps converging', async () => {
    const restartsBefore = (await operator.metrics.informerRestarts.get()).values.reduce((sum, v) => sum + v.value, 0);
    // Removing the CRD ends the InferenceService watch and makes relists fail until it is back.
    const deleted = await cp.kubectl(['delete', 'crd', CRD_NAME, '--wait=true']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await eventually(async () => {
      const restarts = (await operator.metrics.informerRestarts.get()).values.reduce((sum, v) => sum + v.value, 0);
      return restarts > restartsBefore ? true : undefined;
    }, 'an informer restart');
    const reinstalled = await cp.kubectl(['apply', '--server-side', '-f', CRD_PATH]);
    assert.equal(reinstalled.code, 0, reinstalled.stderr);
    await waitCrdEstablished(cp);
    const ns = await createNamespace(cp, 'after-restart');
    await eventually(async () => {
      const created = await admin.apply(inferenceService(ns, 'fraud', [{ name: 'v1' }]) as unknown as KubeObject);
      return created.ok ? true : undefined;
    }, 'CRD serving again');
    const ready: InferenceService = await waitReady(admin, ns, 'fraud');
    assert.equal(ready.status?.versions?.[0]?.ready, true);
  });
});
