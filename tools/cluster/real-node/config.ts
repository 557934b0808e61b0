// The real node's configuration files: pure functions of paths and the node's fixed
// network, so what containerd, the kubelet, kube-proxy, CNI and CoreDNS run with reads in
// one place. Every path a component would put at a fixed host location is moved under
// the node's dir where the component allows it (host.ts cleans up the rest).
import { join } from 'node:path';

/** The node's name, and the one bridge its pods hang off. */
export const NODE_NAME = 'kubeinfer-node';
export const BRIDGE = 'kubeinfer0';
export const POD_SUBNET = '10.244.0.0/24';
/** The bridge's own address: the node IP, the pods' gateway, cluster DNS, and the host address pods reach. */
export const GATEWAY_IP = '10.244.0.1';
/** Every pod's cgroup lives under this root, in each hierarchy. */
export const CGROUP_ROOT = 'kubeinfer';
export const CLUSTER_DOMAIN = 'cluster.local';
export const PAUSE_IMAGE = 'localhost/kubeinfer-pause:dev';

/** Where the node keeps its state; all under one dir of the control plane's. */
export interface NodePaths {
  readonly dir: string;
  readonly containerdSocket: string;
  readonly cniConfDir: string;
  readonly kubeletRoot: string;
}

export function nodePaths(dir: string): NodePaths {
  return { dir, containerdSocket: join(dir, 'containerd.sock'), cniConfDir: join(dir, 'cni', 'net.d'), kubeletRoot: join(dir, 'kubelet') };
}

/** containerd (config version 2, containerd 1.6/1.7) with the CRI plugin for the kubelet. */
export function containerdConfig(paths: NodePaths): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${join(paths.dir, 'containerd', 'root')}"
state = "${join(paths.dir, 'containerd', 'state')}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${paths.containerdSocket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${join(paths.dir, 'containerd', 'opt')}"
[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  # Root here lacks CAP_SYS_RESOURCE; AppArmor may be absent.
  restrict_oom_score_adj = true
  disable_apparmor = true
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
[${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${paths.cniConfDir}"
`;
}

/** The bridge network: pods on POD_SUBNET behind GATEWAY_IP, masqueraded when they leave it. */
export function cniConfig(paths: NodePaths): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'kubeinfer',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            subnet: POD_SUBNET,
            gateway: GATEWAY_IP,
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(paths.dir, 'cni', 'ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  );
}

/** What the kubelet config needs beyond the paths. */
export interface KubeletServing {
  readonly port: number;
  readonly healthzPort: number;
  readonly clientCaFile: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
}

/** KubeletConfiguration (JSON is YAML) for a cgroup v1 host without systemd. */
export function kubeletConfig(paths: NodePaths, serving: KubeletServing): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // Kubernetes 1.35 refuses cgroup v1 unless told otherwise.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${CGROUP_ROOT}`,
      failSwapOn: false,
      containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
      address: GATEWAY_IP,
      port: serving.port,
      healthzBindAddress: '127.0.0.1',
      healthzPort: serving.healthzPort,
      readOnlyPort: 0,
      tlsCertFile: serving.tlsCertFile,
      tlsPrivateKeyFile: serving.tlsPrivateKeyFile,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: serving.clientCaFile } },
      authorization: { mode: 'Webhook' },
      clusterDomain: CLUSTER_DOMAIN,
      clusterDNS: [GATEWAY_IP],
      podLogsDir: join(paths.dir, 'pod-logs'),
      volumePluginDir: join(paths.dir, 'volume-plugins'),
      // A test machine's disk may be fuller than a production node's: never evict or GC images.
      evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      maxPods: 60,
    },
    null,
    2,
  );
}

/** kube-proxy in iptables mode; conntrack sysctls left alone (they are the host's). */
export function kubeProxyConfig(kubeconfig: string, ports: { readonly healthz: number; readonly metrics: number }): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      hostnameOverride: NODE_NAME,
      clusterCIDR: POD_SUBNET,
      healthzBindAddress: `127.0.0.1:${ports.healthz}`,
      metricsBindAddress: `127.0.0.1:${ports.metrics}`,
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      // Pod -> Service -> pod on the same bridge: masquerading makes the reply come back
      // through the host, whatever br_netfilter says.
      iptables: { masqueradeAll: true, minSyncPeriod: '0s', syncPeriod: '30s' },
    },
    null,
    2,
  );
}

/** CoreDNS on the bridge address, serving the cluster domain from the apiserver. */
export function corefile(kubeconfig: string): string {
  return `.:53 {
    bind ${GATEWAY_IP}
    errors
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    forward . /etc/resolv.conf
    cache 5
}
`;
}
