// A real Kubernetes control plane on loopback for tests and `npm run cluster`: etcd and
// kube-apiserver always; kube-controller-manager, kube-scheduler and kwok (fake nodes
// whose pods become Running) on demand, or a real node (real-node/: containerd, kubelet,
// kube-proxy, CoreDNS) where pods really run. Everything lives in one temp dir and dies
// with stop() or with the process; the real node also undoes its changes to the host.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { assetPath, kubectlBinary } from './assets.ts';
import type { AssetName } from './assets.ts';
import { generatePki } from './certs.ts';
import type { KeyPair, Pki } from './certs.ts';
import { apiserverArgs, controllerManagerArgs, etcdArgs, kwokArgs, POD_CIDR, schedulerArgs } from './flags.ts';
import type { NodeLink, Ports } from './flags.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { DEFAULT_NODES, kwokConfiguration, nodeManifest } from './nodes.ts';
import type { FakeNode } from './nodes.ts';
import { openSupervisor } from './processes.ts';
import type { Component, Supervisor } from './processes.ts';
import * as ready from './readiness.ts';
import { rest, restTarget } from './rest.ts';
import type { RestTarget } from './rest.ts';
import { GATEWAY_IP, reserveNode, startNode } from './real-node/index.ts';
import type { RealNode, ReservedNode } from './real-node/index.ts';
import { restoreHost } from './real-node/host.ts';
import { buildImages } from './real-node/images.ts';
import { assertPrerequisites } from './real-node/prerequisites.ts';

export { DEFAULT_NODES, GPU_TAINT } from './nodes.ts';
export type { FakeNode, NodeTaint } from './nodes.ts';
export type { Component } from './processes.ts';
export { NODE_NAME, OPERATOR_IMAGE, RUNTIME_IMAGE } from './real-node/index.ts';

export interface ControlPlaneOptions {
  /** kube-controller-manager (Deployments -> ReplicaSets -> Pods, GC, HPA, service accounts). */
  readonly controllerManager?: boolean;
  /** kube-scheduler. */
  readonly scheduler?: boolean;
  /** kwok with fake nodes: pods bound to them become Running and Ready. */
  readonly kwok?: boolean;
  /** The fake nodes (only with kwok); default DEFAULT_NODES. */
  readonly nodes?: readonly FakeNode[];
  /**
   * A real node (containerd, kubelet, kube-proxy, CoreDNS; root, cgroup v1 and Debian packages
   * needed) with the kubeinfer images built and imported; implies controllerManager and scheduler.
   */
  readonly realNode?: boolean;
  /** Keep the temp dir (logs, certs) after stop; default: env KUBEINFER_KEEP_CLUSTER_DIR=1. */
  readonly keepDir?: boolean;
  /** Longest wait for any one component to become ready; default 120s. */
  readonly readyTimeoutMs?: number;
  /** Progress lines (which component is starting); default: silent. */
  readonly onProgress?: (message: string) => void;
}

export interface ControlPlane {
  /** Admin (system:masters) kubeconfig file. */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Temp dir holding certs, data and logs (`logs/<component>.log`). */
  readonly dir: string;
  /** The fake nodes kwok keeps Ready (empty without kwok). */
  readonly nodes: readonly FakeNode[];
  /** With a real node: the host address pods reach (its bridge's gateway), for servers tests run on the host. */
  readonly hostIp?: string;
  /** The running processes (etcd, kube-apiserver, ...), with their log files. */
  readonly components: readonly Component[];
  /** Admin KubeConfig for @kubernetes/client-node. */
  kubeConfig(): KubeConfig;
  /** Runs kubectl against this control plane. */
  kubectl(args: readonly string[], opts?: { input?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stops every process and removes dir (idempotent). */
  stop(): Promise<void>;
}

interface Context {
  readonly supervisor: Supervisor;
  readonly pki: Pki;
  readonly binaries: ReadonlyMap<AssetName, string>;
  readonly timeoutMs: number;
  readonly progress: (message: string) => void;
  readonly nodeLink?: NodeLink | undefined;
}

/** Starts a control plane; resolves once every requested component is usable. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Before anything is built or started: a machine without what the node needs is told at once.
  if (options.realNode) assertPrerequisites();
  const opts = options.realNode ? { ...options, controllerManager: true, scheduler: true } : options;
  const binaries = await resolveBinaries(opts);
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-cp-'));
  const supervisor = openSupervisor(dir, { keepDir: opts.keepDir ?? process.env.KUBEINFER_KEEP_CLUSTER_DIR === '1' });
  let reserved: ReservedNode | undefined;
  let node: RealNode | undefined;
  try {
    // Built while the control plane starts: minutes on a cold cache, seconds after.
    const imagesBuilt = opts.realNode ? buildImages() : undefined;
    imagesBuilt?.catch(() => {});
    const progress = opts.onProgress ?? (() => {});
    progress('generating certificates');
    const pki = await generatePki(dir);
    if (opts.realNode) reserved = await reserveNode(dir, pki.ca);
    const nodeLink = reserved && { advertiseAddress: GATEWAY_IP, kubeletClient: reserved.pki.apiserverKubeletClient };
    const ctx: Context = { supervisor, pki, binaries, timeoutMs: opts.readyTimeoutMs ?? 120_000, progress, nodeLink };
    const { server, apiserver } = await startStorageAndApiserver(ctx);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(kubeconfigPath, server, ctx.pki.ca, ctx.pki.clients.admin, 'admin');
    const nodes = opts.kwok ? (opts.nodes ?? DEFAULT_NODES) : [];
    await startWorkloadComponents(ctx, { server, apiserver, kubeconfigPath, nodes, opts });
    if (reserved && imagesBuilt) node = await startRealNode(ctx, reserved, { server, kubeconfigPath, imagesBuilt });
    progress('control plane ready');
    return controlPlane({ supervisor, server, kubeconfigPath, nodes, node });
  } catch (error) {
    // Undoes the reservation (twice is harmless), without hiding the error that got us here.
    try {
      if (reserved && !node) restoreHost(reserved.record);
    } catch (cleanupError) {
      opts.onProgress?.(`cleaning up the host failed: ${String(cleanupError)}`);
    }
    await node?.stop();
    await supervisor.stop();
    throw error;
  }
}

function startRealNode(
  ctx: Context,
  reserved: ReservedNode,
  plan: { server: string; kubeconfigPath: string; imagesBuilt: Promise<void> },
): Promise<RealNode> {
  return startNode(reserved, {
    server: plan.server,
    ca: ctx.pki.ca,
    admin: restTarget(plan.server, ctx.pki.ca, ctx.pki.clients.admin),
    adminKubeconfig: plan.kubeconfigPath,
    binaries: { kubelet: binary(ctx, 'kubelet'), kubeProxy: binary(ctx, 'kube-proxy'), coredns: binary(ctx, 'coredns') },
    imagesBuilt: plan.imagesBuilt,
    freePort,
    timeoutMs: ctx.timeoutMs,
    progress: ctx.progress,
  });
}

async function resolveBinaries(opts: ControlPlaneOptions): Promise<Map<AssetName, string>> {
  const names: AssetName[] = ['etcd', 'kube-apiserver'];
  if (opts.controllerManager) names.push('kube-controller-manager');
  if (opts.scheduler) names.push('kube-scheduler');
  if (opts.kwok) names.push('kwok');
  if (opts.realNode) names.push('kubelet', 'kube-proxy', 'coredns');
  const binaries = new Map<AssetName, string>();
  // One at a time: a missing binary may trigger a build that provides the next ones too.
  for (const name of names) binaries.set(name, await assetPath(name));
  return binaries;
}

function binary(ctx: Context, name: AssetName): string {
  return ctx.binaries.get(name) as string;
}

const PORT_ATTEMPTS = 3;

// Free ports are found by binding port 0 and closing it; another process can take one
// before etcd or the apiserver binds it, so a start that loses that race is retried.
async function startStorageAndApiserver(ctx: Context): Promise<{ server: string; apiserver: Component }> {
  for (let attempt = 1; ; attempt++) {
    const ports: Ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
    try {
      return await startStorageAndApiserverOn(ctx, ports);
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !String(error).includes('address already in use')) throw error;
      await ctx.supervisor.stopComponents();
      await rm(join(ctx.supervisor.dir, 'etcd'), { recursive: true, force: true });
    }
  }
}

async function startStorageAndApiserverOn(ctx: Context, ports: Ports): Promise<{ server: string; apiserver: Component }> {
  const { supervisor, pki } = ctx;
  ctx.progress(`starting etcd on 127.0.0.1:${ports.etcdClient}`);
  const etcd = await supervisor.start({ name: 'etcd', binary: binary(ctx, 'etcd'), args: etcdArgs(supervisor.dir, ports) });
  await ready.waitUntil('etcd /health', () => ready.etcdHealthy(ports.etcdClient), [etcd], ctx.timeoutMs);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  ctx.progress(`starting kube-apiserver on ${server}`);
  const apiserver = await supervisor.start({
    name: 'kube-apiserver',
    binary: binary(ctx, 'kube-apiserver'),
    args: apiserverArgs(supervisor.dir, ports, pki, ctx.nodeLink),
  });
  const admin = restTarget(server, pki.ca, pki.clients.admin);
  await ready.waitUntil('kube-apiserver /readyz', () => ready.apiserverReady(admin), [etcd, apiserver], ctx.timeoutMs);
  return { server, apiserver };
}

interface WorkloadPlan {
  readonly server: string;
  readonly apiserver: Component;
  readonly kubeconfigPath: string;
  readonly nodes: readonly FakeNode[];
  readonly opts: ControlPlaneOptions;
}

// Started together and awaited together: their start-ups overlap.
async function startWorkloadComponents(ctx: Context, plan: WorkloadPlan): Promise<void> {
  const admin = restTarget(plan.server, ctx.pki.ca, ctx.pki.clients.admin);
  const waits: Promise<void>[] = [];
  if (plan.opts.controllerManager) {
    const kcm = await startWithIdentity(ctx, plan.server, 'kube-controller-manager', ctx.pki.clients.controllerManager, (kubeconfig) =>
      controllerManagerArgs(ctx.supervisor.dir, kubeconfig, ctx.pki),
    );
    waits.push(
      ready.waitUntil(
        'the controller-manager to create the default ServiceAccount',
        () => ready.defaultServiceAccountExists(admin),
        [plan.apiserver, kcm],
        ctx.timeoutMs,
      ),
    );
  }
  if (plan.opts.scheduler) {
    const scheduler = await startWithIdentity(ctx, plan.server, 'kube-scheduler', ctx.pki.clients.scheduler, schedulerArgs);
    waits.push(
      ready.waitUntil(
        'kube-scheduler to take its lease',
        () => ready.leaseHeld(admin, 'kube-scheduler'),
        [plan.apiserver, scheduler],
        ctx.timeoutMs,
      ),
    );
  }
  if (plan.opts.kwok) waits.push(startKwok(ctx, admin, plan));
  await Promise.all(waits);
}

async function startWithIdentity(
  ctx: Context,
  server: string,
  name: 'kube-controller-manager' | 'kube-scheduler',
  identity: KeyPair,
  args: (kubeconfig: string) => string[],
): Promise<Component> {
  const kubeconfig = join(ctx.supervisor.dir, `${name}.kubeconfig`);
  await writeKubeconfig(kubeconfig, server, ctx.pki.ca, identity, `system:${name}`);
  ctx.progress(`starting ${name}`);
  return ctx.supervisor.start({ name, binary: binary(ctx, name), args: args(kubeconfig) });
}

async function startKwok(ctx: Context, admin: RestTarget, plan: WorkloadPlan): Promise<void> {
  const config = join(ctx.supervisor.dir, 'kwok.yaml');
  await writeFile(config, kwokConfiguration(POD_CIDR));
  ctx.progress(`starting kwok with nodes ${plan.nodes.map((n) => n.name).join(', ')}`);
  const kwok = await ctx.supervisor.start({ name: 'kwok', binary: binary(ctx, 'kwok'), args: kwokArgs(plan.kubeconfigPath, config) });
  for (const node of plan.nodes) {
    const res = await rest(admin, 'POST', '/api/v1/nodes', nodeManifest(node));
    if (res.status !== 201) throw new Error(`cannot create fake node ${node.name}: HTTP ${res.status} ${res.body}`);
  }
  const watched = [plan.apiserver, kwok];
  if (!plan.opts.controllerManager) {
    await ready.waitUntil('kwok to report the fake nodes Ready', () => ready.nodesReady(admin, plan.nodes), watched, ctx.timeoutMs);
    await ready.clearNotReadyTaints(admin, plan.nodes);
  }
  await ready.waitUntil(
    'the fake nodes to be Ready and untainted',
    () => ready.nodesSchedulable(admin, plan.nodes),
    watched,
    ctx.timeoutMs,
  );
}

interface Parts {
  readonly supervisor: Supervisor;
  readonly server: string;
  readonly kubeconfigPath: string;
  readonly nodes: readonly FakeNode[];
  readonly node: RealNode | undefined;
}

function controlPlane(parts: Parts): ControlPlane {
  let stopping: Promise<void> | undefined;
  // The real node first: its kubelet and kube-proxy need the apiserver until they are gone.
  const stopAll = async () => {
    try {
      await parts.node?.stop();
    } finally {
      await parts.supervisor.stop();
    }
  };
  return {
    kubeconfigPath: parts.kubeconfigPath,
    server: parts.server,
    dir: parts.supervisor.dir,
    nodes: parts.nodes,
    ...(parts.node ? { hostIp: GATEWAY_IP } : {}),
    components: [...parts.supervisor.components(), ...(parts.node?.components ?? [])],
    kubeConfig: () => {
      const kc = new KubeConfig();
      kc.loadFromFile(parts.kubeconfigPath);
      return kc;
    },
    kubectl: (args, opts) => runKubectl(parts.kubeconfigPath, args, opts?.input),
    stop: () => (stopping ??= stopAll()),
  };
}

async function runKubectl(
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(await kubectlBinary(), ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(input ?? '');
  const code = await new Promise<number>((resolve) => {
    child.once('error', (error) => {
      stderr += error.message;
      resolve(127);
    });
    child.once('close', (status) => resolve(status ?? 1));
  });
  return { code, stdout, stderr };
}

/** A loopback port that was free a moment ago; the caller binds it right after (and may lose the race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
