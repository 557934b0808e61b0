// Shared setup for the operator's integration tests: a real control plane with
// the CRD installed, an admin KubeClient, an in-process operator whose API
// writes are counted, operators as their own processes, and small readers for
// what the tests assert on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { CRD_NAME, CRD_PATH, type InferenceService } from '../../api/index.ts';
import { runOperator, type OperatorOptions, type RunningOperator } from '../../operator/controller/manager.ts';
import { MANAGED_SELECTOR } from '../../operator/builders/labels.ts';
import type { KubeClient, ListOptions } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { createNodeKubeClient } from '../../kube/node-client.ts';
import {
  ConfigMapKind,
  DeploymentKind,
  EventKind,
  HorizontalPodAutoscalerKind,
  InferenceServiceKind,
  LeaseKind,
  RoleBindingKind,
  RoleKind,
  ServiceAccountKind,
  ServiceKind,
  type ResourceKind,
} from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../tools/cluster/index.ts';

export { eventually };

export const RUNTIME_IMAGE = 'registry.example/kubeinfer-runtime:test';

/** Waits for the CRD to be Established (`kubectl wait` fails at once while the new CRD has no conditions yet). */
export async function waitCrdEstablished(cp: ControlPlane): Promise<void> {
  const wait = ['wait', '--for=condition=Established', '--timeout=10s', `crd/${CRD_NAME}`];
  await eventually(async () => ((await cp.kubectl(wait)).code === 0 ? true : undefined), 'the CRD to be Established', 60_000);
}

/** A control plane with controller-manager, scheduler and kwok, and the InferenceService CRD established. */
export async function startClusterWithCrd(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const cp = await startControlPlane({ controllerManager: true, scheduler: true, kwok: true, ...options });
  try {
    const applied = await cp.kubectl(['apply', '--server-side', '-f', CRD_PATH]);
    if (applied.code !== 0) throw new Error(`installing the CRD failed: ${applied.stderr}`);
    await waitCrdEstablished(cp);
    return cp;
  } catch (err) {
    await cp.stop();
    throw err;
  }
}

/** A client with the admin identity, for tests acting as a user. */
export function adminClient(cp: ControlPlane, fieldManager = 'kubeinfer-test'): KubeClient {
  return createNodeKubeClient({ kubeConfig: cp.kubeConfig(), fieldManager });
}

/** Creates a namespace and waits for its default ServiceAccount (pods are refused until it exists). */
export async function createNamespace(cp: ControlPlane, name: string): Promise<string> {
  const created = await cp.kubectl(['create', 'namespace', name]);
  if (created.code !== 0) throw new Error(`creating namespace ${name}: ${created.stderr}`);
  await eventually(
    async () => ((await cp.kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0 ? true : undefined),
    `ServiceAccount ${name}/default`,
  );
  return name;
}

/** Runs an operator in this process with quiet logs; its metrics count every API request it makes. */
export async function startTestOperator(
  cp: ControlPlane,
  options: Partial<OperatorOptions> = {},
): Promise<RunningOperator & { logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const operator = await runOperator({
    kubeConfig: cp.kubeConfig(),
    build: { runtimeImage: RUNTIME_IMAGE },
    metricsHost: '127.0.0.1',
    metricsPort: 0,
    processMetrics: false,
    workers: 4,
    backoff: { baseMs: 100, maxMs: 5_000 },
    log: (event) => void logs.push(event),
    ...options,
  });
  return Object.assign(operator, { logs });
}

/** A control plane and an in-process operator shared by one describe() block. */
export interface OperatorCluster {
  readonly cp: ControlPlane;
  readonly admin: KubeClient;
  readonly operator: RunningOperator & { logs: Record<string, unknown>[] };
}

/** Call inside describe(): starts the control plane and an operator before its tests, stops both after them. */
export function operatorCluster(options: Partial<OperatorOptions> = {}): OperatorCluster {
  let started: OperatorCluster | undefined;
  before(async () => {
    const cp = await startClusterWithCrd();
    started = { cp, admin: adminClient(cp), operator: await startTestOperator(cp, options) };
  });
  after(async () => {
    await started?.operator.stop();
    await started?.cp.stop();
  });
  const get = (): OperatorCluster => {
    if (!started) throw new Error('operatorCluster() is read before its before() hook ran');
    return started;
  };
  return {
    get cp() {
      return get().cp;
    },
    get admin() {
      return get().admin;
    },
    get operator() {
      return get().operator;
    },
  };
}

/** An InferenceService manifest with small resources so that many fit on the fake nodes. */
export function inferenceService(
  namespace: string,
  name: string,
  versions: readonly { name: string; weight?: number; uri?: string }[],
  spec: Record<string, unknown> = {},
): InferenceService {
  return {
    apiVersion: 'serving.kubeinfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name, namespace },
    spec: {
      resources: { requests: { cpu: '10m', memory: '16Mi' } },
      ...spec,
      versions: versions.map((version) => ({
        name: version.name,
        model: { uri: version.uri ?? `https://models.example/${name}/${version.name}/model.onnx` },
        ...(version.weight === undefined ? {} : { weight: version.weight }),
      })),
    },
  } as InferenceService;
}

/** Creates or replaces an object as the admin user (server-side apply under the test's field manager). */
export async function applyAsUser(client: KubeClient, object: KubeObject | InferenceService): Promise<KubeObject> {
  const applied = await client.apply(object as KubeObject);
  if (!applied.ok) throw new Error(`apply ${object.kind} ${object.metadata.name}: ${describeError(applied.error)}`);
  return applied.value;
}

/** Reads an object, or undefined when it does not exist. */
export async function read(client: KubeClient, resource: ResourceKind, namespace: string, name: string): Promise<KubeObject | undefined> {
  const got = await client.get(resource, { namespace, name });
  if (got.ok) return got.value;
  if (got.error.kind === 'NotFound') return undefined;
  throw new Error(`get ${resource.kind} ${namespace}/${name}: ${describeError(got.error)}`);
}

/** Names of the objects of one kind in a namespace that carry a label selector. */
export async function names(client: KubeClient, resource: ResourceKind, namespace: string, labelSelector?: string): Promise<string[]> {
  const listed = await client.list(resource, { namespace, labelSelector });
  if (!listed.ok) throw new Error(`list ${resource.plural}: ${describeError(listed.error)}`);
  return listed.value.items.map((item) => item.metadata.name).sort();
}

/** The InferenceService's status once its Ready condition is True for its current generation. */
export async function waitReady(client: KubeClient, namespace: string, name: string, timeoutMs = 90_000): Promise<InferenceService> {
  return eventually(
    async () => {
      const isvc = (await read(client, InferenceServiceKind, namespace, name)) as unknown as InferenceService | undefined;
      const ready = isvc?.status?.conditions?.find((condition) => condition.type === 'Ready');
      const current = isvc?.status?.observedGeneration === isvc?.metadata.generation;
      return current && ready?.status === 'True' ? isvc : undefined;
    },
    `InferenceService ${namespace}/${name} Ready`,
    timeoutMs,
  );
}

/** The condition of a type once it reaches a status for the current generation. */
export async function waitCondition(
  client: KubeClient,
  namespace: string,
  name: string,
  type: string,
  status: 'True' | 'False',
  timeoutMs = 60_000,
): Promise<{ reason: string; message: string }> {
  return eventually(
    async () => {
      const isvc = (await read(client, InferenceServiceKind, namespace, name)) as unknown as InferenceService | undefined;
      const condition = isvc?.status?.conditions?.find((entry) => entry.type === type);
      return condition?.status === status && isvc?.status?.observedGeneration === isvc?.metadata.generation ? condition : undefined;
    },
    `${type}=${status} on ${namespace}/${name}`,
    timeoutMs,
  );
}

/** An operator running as its own process (`kubeinfer operator`), as in a pod. */
export interface OperatorProcess {
  readonly name: string;
  readonly child: import('node:child_process').ChildProcess;
  /** Resolves with the port of /metrics once the process has logged it. */
  readonly metricsPort: Promise<number>;
  readonly output: string[];
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Sends a signal and waits for the exit (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** The value of one metric (summed over labels) from /metrics. */
  metric(name: string): Promise<number>;
}

/** Starts `kubeinfer operator` against the control plane; POD_NAME gives it a readable identity. */
export async function spawnOperator(cp: ControlPlane, name: string, extraArgs: readonly string[] = []): Promise<OperatorProcess> {
  const args = [
    'bin/kubeinfer.ts',
    'operator',
    '--kubeconfig',
    cp.kubeconfigPath,
    '--runtime-image',
    RUNTIME_IMAGE,
    '--metrics-port',
    '0',
    '--health-port',
    '0',
    '--bind-address',
    '127.0.0.1',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { env: { ...process.env, POD_NAME: name }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  let resolvePort!: (port: number) => void;
  const metricsPort = new Promise<number>((resolve) => (resolvePort = resolve));
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      if (line.includes('"operator starting"')) resolvePort((JSON.parse(line) as { metricsPort: number }).metricsPort);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    name,
    child,
    metricsPort,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async metric(metricName: string) {
      const text = await (await fetch(`http://127.0.0.1:${await metricsPort}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith(`${metricName}{`) || line.startsWith(`${metricName} `))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    },
  };
}

/** The holder of the operator's Lease, or '' when released or absent. */
export async function leaseHolder(client: KubeClient, namespace: string, name = 'kubeinfer-operator'): Promise<string> {
  const lease = await read(client, LeaseKind, namespace, name);
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '';
}

/** A control plane shared by one describe() block whose operators run as processes. */
export interface ProcessCluster {
  readonly cp: ControlPlane;
  readonly admin: KubeClient;
  /** Every operator spawned so far, in order. */
  readonly processes: readonly OperatorProcess[];
  /** Spawns `kubeinfer operator`; it is killed when the block ends. */
  spawn(name: string, extraArgs?: readonly string[]): Promise<OperatorProcess>;
}

/** Call inside describe(): starts the control plane before its tests; after them, kills every spawned operator and stops it. */
export function processCluster(): ProcessCluster {
  let cp: ControlPlane | undefined;
  let admin: KubeClient | undefined;
  const processes: OperatorProcess[] = [];
  before(async () => {
    cp = await startClusterWithCrd();
    admin = adminClient(cp);
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await cp?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('processCluster() is read before its before() hook ran');
    return value;
  };
  return {
    get cp() {
      return started(cp);
    },
    get admin() {
      return started(admin);
    },
    processes,
    async spawn(name, extraArgs = []) {
      const operator = await spawnOperator(started(cp), name, extraArgs);
      processes.push(operator);
      return operator;
    },
  };
}

/**
 * `Kind/name` -> what changes when the operator writes it, for what it writes: the
 * InferenceServices, its labelled children (the generation of those whose status the
 * controller-manager also writes) and the Events it records about InferenceServices.
 */
export async function storedVersions(admin: KubeClient, namespace: string): Promise<Record<string, string | number | undefined>> {
  const bySpec = new Set([DeploymentKind, HorizontalPodAutoscalerKind]);
  const children = [DeploymentKind, ServiceKind, HorizontalPodAutoscalerKind, ConfigMapKind, ServiceAccountKind, RoleKind, RoleBindingKind];
  const listed = async (kind: ResourceKind, options: ListOptions) => {
    const list = await admin.list(kind, { namespace, ...options });
    assert.ok(list.ok, `listing ${kind.plural}`);
    return list.value.items.map(
      (item) =>
        [`${item.kind}/${item.metadata.name}`, bySpec.has(kind) ? item.metadata.generation : item.metadata.resourceVersion] as const,
    );
  };
  const lists = await Promise.all([
    listed(InferenceServiceKind, {}),
    listed(EventKind, { fieldSelector: 'involvedObject.kind=InferenceService' }),
    ...children.map((kind) => listed(kind, { labelSelector: MANAGED_SELECTOR })),
  ]);
  return Object.fromEntries(lists.flat());
}
