// Command lines of the control plane's components: pure functions of ports and paths,
// so what we run is readable in one place.
import { join } from 'node:path';
import { FRONT_PROXY_CLIENT, type KeyPair, type Pki } from './certs.ts';

/** Addresses of the etcd member and the apiserver. */
export interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
}

export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.244.0.1/16';

/** A single-member etcd on loopback. */
export function etcdArgs(dir: string, ports: Ports): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // The data dir is thrown away after the run; fsync only costs time.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

/** How the apiserver meets a real node: pods reach it on `advertiseAddress`, it reaches kubelets as `kubeletClient`. */
export interface NodeLink {
  readonly advertiseAddress: string;
  readonly kubeletClient: KeyPair;
}

/** kube-apiserver with TLS, client-certificate auth, Node+RBAC authorization and service-account tokens. */
export function apiserverArgs(dir: string, ports: Ports, pki: Pki, node?: NodeLink): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    // With a real node, pods reach the apiserver (kubernetes.default) on the node's bridge.
    ...(node
      ? ['--bind-address=0.0.0.0', `--advertise-address=${node.advertiseAddress}`, ...kubeletClientArgs(node, pki)]
      : ['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1']),
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${join(dir, 'apiserver')}`,
    `--tls-cert-file=${pki.serving.cert}`,
    `--tls-private-key-file=${pki.serving.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ...aggregationArgs(pki),
    '--allow-privileged=true',
    '--profiling=false',
    '--v=1',
  ];
}

// API aggregation (custom.metrics.k8s.io from a metrics adapter): the apiserver proxies with
// this client certificate and the user in X-Remote-* headers, as kubeadm sets it up. Aggregated
// APIs are dialled at their Service's endpoint, so an adapter may run on the host.
function aggregationArgs(pki: Pki): string[] {
  return [
    `--requestheader-client-ca-file=${pki.ca.cert}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    '--enable-aggregator-routing=true',
  ];
}

function kubeletClientArgs(node: NodeLink, pki: Pki): string[] {
  return [
    `--kubelet-client-certificate=${node.kubeletClient.cert}`,
    `--kubelet-client-key=${node.kubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ];
}

// What kube-controller-manager and kube-scheduler share: one identity for the apiserver and
// for delegated authn/authz, and leader election as in a real cluster.
function apiClientArgs(kubeconfig: string): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // No HTTPS endpoint: nothing scrapes it, and it would need one more free port.
    '--secure-port=0',
    // The default client limit (20 requests/s) makes hundreds of ReplicaSets and Pods crawl.
    '--kube-api-qps=200',
    '--kube-api-burst=400',
    '--leader-elect=true',
    '--v=1',
  ];
}

/** kube-controller-manager; each controller uses its own service account, as kubeadm sets it up. */
export function controllerManagerArgs(dir: string, kubeconfig: string, pki: Pki): string[] {
  return [
    ...apiClientArgs(kubeconfig),
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.ca.cert}`,
    `--cluster-signing-cert-file=${pki.ca.cert}`,
    `--cluster-signing-key-file=${pki.ca.key}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Tests should not wait the default 15s for an HPA to act.
    '--horizontal-pod-autoscaler-sync-period=2s',
    // Its default is under /usr/libexec, which it would otherwise create.
    `--flex-volume-plugin-dir=${join(dir, 'flexvolume')}`,
  ];
}

/** kube-scheduler with the default profile. */
export function schedulerArgs(kubeconfig: string): string[] {
  return apiClientArgs(kubeconfig);
}

/** kwok driving the fake nodes; which ones it manages is in its configuration file (nodes.ts). */
export function kwokArgs(kubeconfig: string, config: string): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--config=${config}`];
}
