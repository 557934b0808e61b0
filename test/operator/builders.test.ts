// The pure builders: what one InferenceService turns into, field by field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateInferenceService, type InferenceService } from '../../api/index.ts';
import { desiredObjects } from '../../operator/builders/index.ts';
import { appliedHash } from '../../operator/builders/hash.ts';
import { ANNOTATION_APPLIED_HASH } from '../../operator/builders/labels.ts';
import type { KubeObject } from '../../kube/types.ts';
import { parseRouterLimits, ROUTER_NUMBER_FLAGS } from '../../runtime/router/settings.ts';
import { flagProperty, resolveServeConfig } from '../../runtime/server/config.ts';

const OPTIONS = { runtimeImage: 'registry.example/kubeinfer:1.2.3' };

function isvc(spec: Record<string, unknown>, name = 'fraud'): InferenceService {
  const result = validateInferenceService({
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'ml', uid: '0b5c9a52-4d1e-4f7e-9c55-1d2f5b1b7a10', generation: 3 },
    spec,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

const canary = () =>
  isvc({
    versions: [
      { name: 'v1', model: { uri: 's3://models/fraud/1/model.onnx', sha256: 'a'.repeat(64) }, weight: 90 },
      { name: 'v2', model: { uri: 's3://models/fraud/2/model.onnx' }, weight: 10 },
    ],
    resources: { requests: { cpu: '1', memory: '1Gi' } },
    runtime: { workers: 2, batching: { maxBatchSize: 32, maxQueueDelayMicros: 2000 } },
    storage: { secretRef: { name: 'model-store' } },
  });

function find(objects: readonly KubeObject[], kind: string, name: string): any {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  assert.ok(found, `${kind} ${name} is built`);
  return found;
}

describe('desiredObjects', () => {
  it('builds every child, in apply order, each with labels, owner and hash', () => {
    const objects = desiredObjects(canary(), OPTIONS);
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
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
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'ml');
      assert.deepEqual(object.metadata.ownerReferences, [
        {
          apiVersion: 'serving.kubeinfer.io/v1alpha1',
          kind: 'InferenceService',
          name: 'fraud',
          uid: '0b5c9a52-4d1e-4f7e-9c55-1d2f5b1b7a10',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.equal(object.metadata.labels?.['app.kubernetes.io/managed-by'], 'kubeinfer-operator');
      assert.equal(object.metadata.labels?.['serving.kubeinfer.io/inferenceservice'], 'fraud');
      assert.match(object.metadata.annotations?.[ANNOTATION_APPLIED_HASH] ?? '', /^[0-9a-f]{16}$/);
    }
  });

  it('runs the runtime with the DESIGN.md environment, probes and a restricted security context', () => {
    const deployment = find(desiredObjects(canary(), OPTIONS), 'Deployment', 'fraud-v1');
    assert.equal(deployment.spec.replicas, 1);
    assert.deepEqual(deployment.spec.selector.matchLabels, {
      'serving.kubeinfer.io/inferenceservice': 'fraud',
      'serving.kubeinfer.io/component': 'model',
      'serving.kubeinfer.io/version': 'v1',
    });
    const pod = deployment.spec.template;
    assert.deepEqual(pod.metadata.annotations, {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    const [runtime] = pod.spec.containers;
    assert.equal(runtime.image, OPTIONS.runtimeImage);
    assert.deepEqual(runtime.args, ['serve']);
    assert.deepEqual(runtime.ports, [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'grpc', containerPort: 8081, protocol: 'TCP' },
    ]);
    assert.deepEqual(Object.fromEntries(runtime.env.map((e: { name: string; value: string }) => [e.name, e.value])), {
      KUBEINFER_MODEL_PATH: '/mnt/models/model.onnx',
      KUBEINFER_MODEL_NAME: 'fraud',
      KUBEINFER_MODEL_VERSION: 'v1',
      KUBEINFER_PORT: '8080',
      KUBEINFER_GRPC_PORT: '8081',
      KUBEINFER_WORKERS: '2',
      KUBEINFER_MAX_BATCH_SIZE: '32',
      KUBEINFER_MAX_QUEUE_DELAY_MICROS: '2000',
      KUBEINFER_EXECUTION_PROVIDER: 'cpu',
      KUBEINFER_SHUTDOWN_DELAY_MS: '5000',
      KUBEINFER_DRAIN_TIMEOUT_SECONDS: '25',
    });
    assert.deepEqual(runtime.resources, { requests: { cpu: '1', memory: '1Gi' } });
    assert.equal(runtime.readinessProbe.httpGet.path, '/v2/health/ready');
    assert.equal(runtime.livenessProbe.httpGet.path, '/v2/health/live');
    assert.equal(runtime.startupProbe.httpGet.path, '/v2/health/ready');
    assert.ok(runtime.startupProbe.failureThreshold * runtime.startupProbe.periodSeconds >= 600, 'slow model loads get minutes');
    assert.deepEqual(runtime.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.spec.automountServiceAccountToken, false);
  });

  it('fetches remote models in an init container, with the credentials Secret mounted read-only', () => {
    const pod = find(desiredObjects(canary(), OPTIONS), 'Deployment', 'fraud-v1').spec.template.spec;
    const [fetch] = pod.initContainers;
    assert.deepEqual(fetch.args, [
      'fetch-model',
      's3://models/fraud/1/model.onnx',
      '/mnt/models',
      '--max-bytes',
      '20Gi',
      '--sha256',
      'a'.repeat(64),
    ]);
    assert.deepEqual(
      fetch.volumeMounts.find((m: { name: string }) => m.name === 'storage-credentials'),
      { name: 'storage-credentials', mountPath: '/var/run/secrets/kubeinfer/storage', readOnly: true },
    );
    assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'storage-credentials').secret, {
      secretName: 'model-store',
      defaultMode: 0o440,
    });
    // The volume holds what fetch-model may write and no more: the same quantity as its --max-bytes.
    assert.deepEqual(
      pod.volumes.find((v: { name: string }) => v.name === 'model'),
      { name: 'model', emptyDir: { sizeLimit: '20Gi' } },
    );
    const runtimeMount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'model');
    assert.deepEqual(runtimeMount, { name: 'model', mountPath: '/mnt/models', readOnly: true });
    assert.equal(
      pod.containers[0].volumeMounts.some((m: { name: string }) => m.name === 'storage-credentials'),
      false,
      'the server never sees credentials',
    );
  });

  it('mounts a pvc:// claim read-only instead of downloading', () => {
    const objects = desiredObjects(isvc({ versions: [{ name: 'v1', model: { uri: 'pvc://models/fraud/v1/fraud.onnx' } }] }), OPTIONS);
    const pod = find(objects, 'Deployment', 'fraud-v1').spec.template.spec;
    assert.equal(pod.initContainers, undefined);
    assert.deepEqual(pod.volumes[0], { name: 'model', persistentVolumeClaim: { claimName: 'models', readOnly: true } });
    assert.deepEqual(pod.containers[0].volumeMounts[0], { name: 'model', mountPath: '/mnt/models', readOnly: true, subPath: 'fraud/v1' });
    assert.equal(pod.containers[0].env[0].value, '/mnt/models/fraud.onnx');
  });

  it('verifies a pvc:// model with a checksum in place, read-only, before the server starts', () => {
    const sha256 = 'a'.repeat(64);
    const objects = desiredObjects(
      isvc({ versions: [{ name: 'v1', model: { uri: 'pvc://models/fraud/v1/fraud.onnx', sha256 } }] }),
      OPTIONS,
    );
    const pod = find(objects, 'Deployment', 'fraud-v1').spec.template.spec;
    assert.equal(pod.initContainers.length, 1);
    const verify = pod.initContainers[0];
    assert.equal(verify.name, 'fetch-model');
    assert.deepEqual(verify.args, ['fetch-model', 'pvc://models/fraud/v1/fraud.onnx', '/mnt/models', '--sha256', sha256]);
    assert.deepEqual(verify.volumeMounts[0], { name: 'model', mountPath: '/mnt/models', readOnly: true, subPath: 'fraud/v1' });
  });

  it('places GPU versions: limits, node affinity on product and memory, toleration, CUDA', () => {
    const objects = desiredObjects(
      isvc({
        versions: [{ name: 'v1', model: { uri: 'https://m.example/r.onnx' } }],
        gpu: { count: 2, products: ['NVIDIA-A100-SXM4-80GB'], memoryMiB: 40960 },
        scheduling: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
              },
            },
          },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }],
          priorityClassName: 'inference',
        },
      }),
      OPTIONS,
    );
    const pod = find(objects, 'Deployment', 'fraud-v1').spec.template.spec;
    assert.equal(pod.containers[0].resources.limits['nvidia.com/gpu'], '2');
    assert.equal(pod.initContainers[0].resources.limits?.['nvidia.com/gpu'], undefined, 'the download never holds a GPU');
    assert.deepEqual(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      {
        matchExpressions: [
          { key: 'zone', operator: 'In', values: ['a'] },
          { key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-A100-SXM4-80GB'] },
          { key: 'nvidia.com/gpu.memory', operator: 'Gt', values: ['40959'] },
        ],
      },
    ]);
    assert.deepEqual(pod.tolerations, [
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.equal(pod.priorityClassName, 'inference');
    assert.equal(pod.containers[0].env.find((e: { name: string }) => e.name === 'KUBEINFER_EXECUTION_PROVIDER').value, 'cuda');
  });

  it('requests MIG slices as nvidia.com/mig-<profile>', () => {
    const objects = desiredObjects(
      isvc({ versions: [{ name: 'v1', model: { uri: 'https://m.example/r.onnx' } }], gpu: { mig: '1g.10gb', count: 1 } }),
      OPTIONS,
    );
    const limits = find(objects, 'Deployment', 'fraud-v1').spec.template.spec.containers[0].resources.limits;
    assert.deepEqual(limits, { memory: '2Gi', 'nvidia.com/mig-1g.10gb': '1' });
  });

  it('autoscales with an HPA (replicas left unset), passing behavior through; no HPA when min == max', () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const objects = desiredObjects(
      isvc({
        versions: [
          { name: 'v1', model: { uri: 'https://m.example/1.onnx' }, weight: 50 },
          { name: 'v2', model: { uri: 'https://m.example/2.onnx' }, weight: 50, autoscaling: { minReplicas: 3, maxReplicas: 3 } },
        ],
        autoscaling: { minReplicas: 2, maxReplicas: 10, metric: 'concurrency', target: 4, behavior },
        resources: { requests: { cpu: '500m' } },
      }),
      OPTIONS,
    );
    assert.equal('replicas' in find(objects, 'Deployment', 'fraud-v1').spec, false);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'fraud-v1');
    assert.deepEqual(hpa.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud-v1' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'kubeinfer_inference_inflight_requests' }, target: { type: 'AverageValue', averageValue: '4' } },
        },
      ],
      behavior,
    });
    assert.equal(find(objects, 'Deployment', 'fraud-v2').spec.replicas, 3);
    assert.equal(
      objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'fraud-v2'),
      false,
    );
    const cpu = desiredObjects(
      isvc({
        versions: [{ name: 'v1', model: { uri: 'https://m.example/1.onnx' } }],
        autoscaling: { maxReplicas: 4 },
        resources: { requests: { cpu: '500m' } },
      }),
      OPTIONS,
    );
    assert.deepEqual(find(cpu, 'HorizontalPodAutoscaler', 'fraud-v1').spec.metrics, [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ]);
  });

  it('configures the router through its ConfigMap, with RBAC for exactly that ConfigMap', () => {
    const mirrored = isvc({
      versions: [
        { name: 'v1', model: { uri: 'https://m.example/1.onnx' }, weight: 100 },
        { name: 'v2', model: { uri: 'https://m.example/2.onnx' }, weight: 0 },
      ],
      traffic: { mirror: { version: 'v2', percent: 20 } },
    });
    const objects = desiredObjects(mirrored, OPTIONS);
    assert.deepEqual(JSON.parse(find(objects, 'ConfigMap', 'fraud-router').data['router.json']), {
      model: 'fraud',
      versions: [
        { name: 'v1', weight: 100, url: 'http://fraud-v1.ml.svc:80', grpcUrl: 'http://fraud-v1.ml.svc:8081' },
        { name: 'v2', weight: 0, url: 'http://fraud-v2.ml.svc:80', grpcUrl: 'http://fraud-v2.ml.svc:8081' },
      ],
      mirror: { version: 'v2', percent: 20 },
    });
    assert.deepEqual(find(objects, 'Role', 'fraud-router').rules, [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['fraud-router'], verbs: ['get', 'list', 'watch'] },
    ]);
    const router = find(objects, 'Deployment', 'fraud-router').spec.template.spec;
    assert.equal(router.serviceAccountName, 'fraud-router');
    assert.deepEqual(router.containers[0].args, [
      'route',
      '--configmap',
      'ml/fraud-router',
      '--port',
      '8080',
      '--grpc-port',
      '8081',
      '--shutdown-delay-ms',
      '5000',
    ]);
    const service = find(objects, 'Service', 'fraud');
    assert.deepEqual(service.spec.selector, {
      'serving.kubeinfer.io/inferenceservice': 'fraud',
      'serving.kubeinfer.io/component': 'router',
    });
    assert.deepEqual(service.spec.ports, [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 8081, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
    ]);
    assert.deepEqual(find(objects, 'Service', 'fraud-v1').spec.ports, service.spec.ports);
    assert.deepEqual(
      router.containers[0].ports.map((port: { name: string }) => port.name),
      ['http', 'grpc'],
    );
  });

  it('turns spec.auth into router flags, and mounts the API-key Secret read-only', () => {
    const container = (spec: Record<string, unknown>) =>
      find(
        desiredObjects(isvc({ ...spec, versions: [{ name: 'v1', model: { uri: 's3://m/1/model.onnx' } }] }), OPTIONS),
        'Deployment',
        'fraud-router',
      ).spec.template.spec;
    const open = container({});
    const base = open.containers[0].args;
    assert.ok(
      !base.some((arg: string) => arg.startsWith('--auth') || arg.startsWith('--api-keys') || arg === '--protect-metrics'),
      base.join(' '),
    );
    assert.equal(open.volumes, undefined);
    const kubernetes = container({ auth: { mode: 'kubernetes', protectMetrics: true } });
    assert.deepEqual(kubernetes.containers[0].args.slice(base.length), ['--auth-kubernetes', 'ml/fraud', '--protect-metrics']);
    const keys = container({ auth: { mode: 'apiKey', secretRef: { name: 'fraud-keys' } } });
    assert.deepEqual(keys.containers[0].args.slice(base.length), ['--api-keys-file', '/var/run/secrets/kubeinfer/api-keys']);
    assert.deepEqual(keys.volumes, [{ name: 'api-keys', secret: { secretName: 'fraud-keys', defaultMode: 0o440 } }]);
    assert.deepEqual(keys.containers[0].volumeMounts, [
      { name: 'api-keys', mountPath: '/var/run/secrets/kubeinfer/api-keys', readOnly: true },
    ]);
  });

  it('isolates the model pods: only the router (and allowFrom) may reach their http port; off with enabled: false', () => {
    const policy = (networkPolicy?: Record<string, unknown>) =>
      desiredObjects(
        isvc({ versions: [{ name: 'v1', model: { uri: 's3://m/1/model.onnx' } }], ...(networkPolicy ? { networkPolicy } : {}) }),
        OPTIONS,
      ).find((o) => o.kind === 'NetworkPolicy') as any;
    const http = [
      { port: 'http', protocol: 'TCP' },
      { port: 'grpc', protocol: 'TCP' },
    ];
    assert.deepEqual(policy().spec, {
      podSelector: { matchLabels: { 'serving.kubeinfer.io/inferenceservice': 'fraud', 'serving.kubeinfer.io/component': 'model' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchLabels: { 'serving.kubeinfer.io/inferenceservice': 'fraud', 'serving.kubeinfer.io/component': 'router' },
              },
            },
          ],
          ports: http,
        },
      ],
    });
    const scraper = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    assert.deepEqual(policy({ allowFrom: [scraper] }).spec.ingress[1], { from: [scraper], ports: http });
    assert.equal(policy({ enabled: false }), undefined);
  });

  it('takes pods out of service without dropping requests: preStop sleep, shutdown delay, a grace period covering both', () => {
    const objects = desiredObjects(canary(), OPTIONS);
    const model = find(objects, 'Deployment', 'fraud-v1').spec.template.spec;
    assert.deepEqual(model.containers[0].lifecycle, { preStop: { sleep: { seconds: 5 } } });
    // preStop 5 s + shutdown delay 5 s + drain 25 s + 5 s slack.
    assert.equal(model.terminationGracePeriodSeconds, 40);
    const router = find(objects, 'Deployment', 'fraud-router');
    assert.deepEqual(router.spec.template.spec.containers[0].lifecycle, { preStop: { sleep: { seconds: 5 } } });
    assert.equal(router.spec.template.spec.terminationGracePeriodSeconds, 35);
  });

  it('sets shutdown timing that serve and route parse as written, inside the grace period (the contract, both sides)', () => {
    const objects = desiredObjects(canary(), OPTIONS);
    const model = find(objects, 'Deployment', 'fraud-v1').spec.template.spec;
    const resolved = resolveServeConfig(
      {},
      Object.fromEntries(model.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value])),
    );
    assert.ok(resolved.ok, JSON.stringify(resolved));
    const { shutdownDelayMs, drainTimeoutSeconds } = resolved.config;
    assert.ok(
      model.terminationGracePeriodSeconds >
        model.containers[0].lifecycle.preStop.sleep.seconds + shutdownDelayMs / 1000 + drainTimeoutSeconds,
    );
    const router = find(objects, 'Deployment', 'fraud-router').spec.template.spec;
    const args: string[] = router.containers[0].args;
    const flags = Object.fromEntries(
      ROUTER_NUMBER_FLAGS.filter((entry) => args.includes(`--${entry.flag}`)).map((entry) => [
        flagProperty(entry.flag),
        args[args.indexOf(`--${entry.flag}`) + 1],
      ]),
    );
    const limits = parseRouterLimits(flags);
    assert.ok(typeof limits !== 'string' && limits.shutdownDelayMs === 5000, String(limits));
    assert.ok(
      router.terminationGracePeriodSeconds > router.containers[0].lifecycle.preStop.sleep.seconds + limits.shutdownDelayMs / 1000 + 20,
    );
  });

  it('keeps the router available and bounded: two replicas spread over nodes, a disruption budget, a memory limit', () => {
    const objects = desiredObjects(canary(), OPTIONS);
    const router = find(objects, 'Deployment', 'fraud-router');
    const selector = { 'serving.kubeinfer.io/inferenceservice': 'fraud', 'serving.kubeinfer.io/component': 'router' };
    assert.equal(router.spec.replicas, 2);
    assert.deepEqual(router.spec.template.spec.topologySpreadConstraints, [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
    ]);
    assert.deepEqual(router.spec.template.spec.containers[0].resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
    assert.deepEqual(find(objects, 'PodDisruptionBudget', 'fraud-router').spec, { maxUnavailable: 1, selector: { matchLabels: selector } });
  });

  it('bounds model pods by default: a memory limit unless resources are named, the body budget passed through', () => {
    const plain = isvc({
      versions: [{ name: 'v1', model: { uri: 'https://m.example/r.onnx' } }],
      runtime: { maxBodyBytesInFlight: 134217728 },
    });
    const runtime = find(desiredObjects(plain, OPTIONS), 'Deployment', 'fraud-v1').spec.template.spec.containers[0];
    assert.deepEqual(runtime.resources, { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } });
    assert.equal(runtime.env.find((e: { name: string }) => e.name === 'KUBEINFER_MAX_BODY_BYTES_IN_FLIGHT').value, '134217728');
  });

  it('changes only the router ConfigMap when weights change', () => {
    const before = desiredObjects(canary(), OPTIONS);
    const shifted = canary();
    const after = desiredObjects(
      { ...shifted, spec: { ...shifted.spec, versions: shifted.spec.versions.map((v) => ({ ...v, weight: v.name === 'v1' ? 50 : 50 })) } },
      OPTIONS,
    );
    const changed = after
      .filter((object, i) => JSON.stringify(object) !== JSON.stringify(before[i]))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    assert.deepEqual(changed, ['ConfigMap/fraud-router']);
  });

  it('hashes configuration deterministically and ignores the owner uid', () => {
    const [first] = desiredObjects(canary(), OPTIONS);
    const [again] = desiredObjects(canary(), OPTIONS);
    assert.ok(first && again, 'desiredObjects returns objects');
    assert.equal(first.metadata.annotations?.[ANNOTATION_APPLIED_HASH], again.metadata.annotations?.[ANNOTATION_APPLIED_HASH]);
    const otherOwner = { ...first, metadata: { ...first.metadata, ownerReferences: [] } };
    assert.equal(appliedHash(otherOwner), appliedHash(first));
    const relabelled = { ...first, metadata: { ...first.metadata, labels: { ...first.metadata.labels, extra: 'x' } } };
    assert.notEqual(appliedHash(relabelled), appliedHash(first));
  });
});
