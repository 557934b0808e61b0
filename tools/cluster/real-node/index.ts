// A real node beside the test control plane: containerd + runc with the bridge CNI
// plugin, a kubelet, kube-proxy (iptables) and CoreDNS, all host processes under one
// supervisor, with kubeinfer's images imported into containerd. Pods get real cgroups,
// network namespaces and probes. Two phases: reserve() before the apiserver starts (it
// needs the node's certificates and address), start() once the apiserver is up.
import { Resolver } from 'node:dns/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { generateNodePki, KUBERNETES_SERVICE_IP } from '../certs.ts';
import type { KeyPair, NodePki } from '../certs.ts';
import { writeKubeconfig } from '../kubeconfig.ts';
import type { Component, Supervisor } from '../processes.ts';
import { openSupervisor } from '../processes.ts';
import * as ready from '../readiness.ts';
import type { RestTarget } from '../rest.ts';
import * as config from './config.ts';
import type { NodePaths } from './config.ts';
import { claimHost, prepareHost, restoreHost } from './host.ts';
import type { HostRecord } from './host.ts';
import { importImages } from './images.ts';
import { assertPrerequisites } from './prerequisites.ts';

export { GATEWAY_IP, NODE_NAME } from './config.ts';
export { OPERATOR_IMAGE, RUNTIME_IMAGE } from './images.ts';

/** The node's host-side reservation: its certificates, paths and the host record to undo. */
export interface ReservedNode {
  readonly paths: NodePaths;
  readonly pki: NodePki;
  readonly record: HostRecord;
}

/** What starting the node needs from the control plane. */
export interface NodeStart {
  readonly server: string;
  readonly ca: KeyPair;
  readonly admin: RestTarget;
  readonly adminKubeconfig: string;
  readonly binaries: { readonly kubelet: string; readonly kubeProxy: string; readonly coredns: string };
  /** Settles when the images are built (started early: it overlaps the control plane's start). */
  readonly imagesBuilt: Promise<void>;
  readonly freePort: () => Promise<number>;
  readonly timeoutMs: number;
  readonly progress: (message: string) => void;
}

/** A running node. */
export interface RealNode {
  readonly components: readonly Component[];
  /** Stops the node's processes and its pods, and undoes every change to the host. */
  stop(): Promise<void>;
}

/** Checks the machine, claims the host (undoing a dead run's leftovers), creates the bridge and cgroup root. */
export async function reserveNode(controlPlaneDir: string, ca: KeyPair): Promise<ReservedNode> {
  assertPrerequisites();
  const paths = config.nodePaths(join(controlPlaneDir, 'node'));
  const record = await claimHost(paths.dir, paths.containerdSocket);
  try {
    await prepareHost();
    await mkdir(paths.cniConfDir, { recursive: true });
    return { paths, record, pki: await generateNodePki(controlPlaneDir, ca, { name: config.NODE_NAME, ip: config.GATEWAY_IP }) };
  } catch (error) {
    restoreHost(record);
    throw error;
  }
}

/** Starts containerd, imports the images, starts the kubelet, kube-proxy and CoreDNS; resolves when pods can run and resolve Services. */
export async function startNode(node: ReservedNode, start: NodeStart): Promise<RealNode> {
  const supervisor = openSupervisor(node.paths.dir, { keepDir: true });
  const stop = async () => {
    await supervisor.stopComponents();
    restoreHost(node.record);
  };
  try {
    const containerd = await startContainerd(supervisor, node.paths, start);
    start.progress('importing the images into containerd');
    await start.imagesBuilt;
    await importImages(node.paths.containerdSocket);
    const kubelet = await startKubelet(supervisor, node, start);
    const kubeProxy = await startKubeProxy(supervisor, node, start);
    start.progress(`starting CoreDNS on ${config.GATEWAY_IP}:53`);
    await writeFile(join(node.paths.dir, 'Corefile'), config.corefile(start.adminKubeconfig));
    const coredns = await supervisor.start({
      name: 'coredns',
      binary: start.binaries.coredns,
      args: ['-conf', join(node.paths.dir, 'Corefile')],
    });
    const watched = [containerd, kubelet, kubeProxy, coredns];
    await ready.waitUntil(
      `node ${config.NODE_NAME} to be Ready and untainted`,
      () => ready.nodesSchedulable(start.admin, [{ name: config.NODE_NAME }]),
      watched,
      start.timeoutMs,
    );
    await ready.waitUntil(
      'kube-proxy to route the kubernetes Service',
      () => tcpReachable(KUBERNETES_SERVICE_IP, 443),
      watched,
      start.timeoutMs,
    );
    await ready.waitUntil('CoreDNS to resolve kubernetes.default', () => resolvesKubernetesService(), watched, start.timeoutMs);
    return { components: supervisor.components(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startContainerd(supervisor: Supervisor, paths: NodePaths, start: NodeStart): Promise<Component> {
  await writeFile(join(paths.cniConfDir, '10-kubeinfer.conflist'), config.cniConfig(paths));
  await writeFile(join(paths.dir, 'containerd.toml'), config.containerdConfig(paths));
  start.progress('starting containerd');
  const containerd = await supervisor.start({
    name: 'containerd',
    binary: 'containerd',
    args: ['--config', join(paths.dir, 'containerd.toml')],
  });
  await ready.waitUntil('containerd to listen', () => tcpReachable(paths.containerdSocket), [containerd], start.timeoutMs);
  return containerd;
}

async function startKubelet(supervisor: Supervisor, node: ReservedNode, start: NodeStart): Promise<Component> {
  const dir = node.paths.dir;
  const kubeconfig = join(dir, 'kubelet.kubeconfig');
  await writeKubeconfig(kubeconfig, start.server, start.ca, node.pki.kubelet, `system:node:${config.NODE_NAME}`);
  await writeFile(
    join(dir, 'kubelet.json'),
    config.kubeletConfig(node.paths, {
      port: await start.freePort(),
      healthzPort: await start.freePort(),
      clientCaFile: start.ca.cert,
      tlsCertFile: node.pki.kubeletServing.cert,
      tlsPrivateKeyFile: node.pki.kubeletServing.key,
    }),
  );
  start.progress('starting the kubelet');
  return supervisor.start({
    name: 'kubelet',
    binary: start.binaries.kubelet,
    args: [
      `--config=${join(dir, 'kubelet.json')}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${node.paths.kubeletRoot}`,
      `--node-ip=${config.GATEWAY_IP}`,
      `--hostname-override=${config.NODE_NAME}`,
      '--v=1',
    ],
  });
}

async function startKubeProxy(supervisor: Supervisor, node: ReservedNode, start: NodeStart): Promise<Component> {
  const kubeconfig = join(node.paths.dir, 'kube-proxy.kubeconfig');
  await writeKubeconfig(kubeconfig, start.server, start.ca, node.pki.kubeProxy, 'system:kube-proxy');
  const file = join(node.paths.dir, 'kube-proxy.json');
  await writeFile(file, config.kubeProxyConfig(kubeconfig, { healthz: await start.freePort(), metrics: await start.freePort() }));
  start.progress('starting kube-proxy');
  return supervisor.start({ name: 'kube-proxy', binary: start.binaries.kubeProxy, args: [`--config=${file}`, '--v=1'] });
}

/** A TCP (or unix socket, without a port) connection succeeds. */
function tcpReachable(host: string, port?: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = port === undefined ? connect(host) : connect(port, host);
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

async function resolvesKubernetesService(): Promise<boolean> {
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([config.GATEWAY_IP]);
  try {
    return (await resolver.resolve4(`kubernetes.default.svc.${config.CLUSTER_DOMAIN}`)).includes(KUBERNETES_SERVICE_IP);
  } catch {
    return false;
  }
}
