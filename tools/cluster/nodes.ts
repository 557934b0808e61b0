// Fake nodes for kwok: the Node objects we create and the kwok configuration that
// makes them (and the pods bound to them) look alive.

/** A node that kwok keeps Ready; pods scheduled onto it become Running without a kubelet. */
export interface FakeNode {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  readonly gpus?: number;
  readonly gpuProduct?: string;
  readonly gpuMemoryMiB?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly NodeTaint[];
}

/** A node taint as in `spec.taints`. */
export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

/** The taint GKE and the NVIDIA GPU operator put on GPU nodes; GPU pods must tolerate it. */
export const GPU_TAINT: NodeTaint = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };

/** Two CPU-only nodes and two GPU nodes of different products. */
export const DEFAULT_NODES: readonly FakeNode[] = [
  { name: 'cpu-0', cpu: '8', memory: '32Gi' },
  { name: 'cpu-1', cpu: '8', memory: '32Gi' },
  { name: 'gpu-a100-0', cpu: '32', memory: '256Gi', gpus: 4, gpuProduct: 'NVIDIA-A100-SXM4-80GB', gpuMemoryMiB: 81920 },
  { name: 'gpu-t4-0', cpu: '8', memory: '32Gi', gpus: 1, gpuProduct: 'Tesla-T4', gpuMemoryMiB: 15360 },
];

/**
 * kwok fakes exactly the nodes carrying this annotation (the selector in kwokConfiguration), so a
 * test may add a node of its own whose pods nobody but the test drives (a simulated or real kubelet).
 */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** The labels NVIDIA GPU feature discovery would put on a node with `node`'s GPUs. */
function gpuLabels(node: FakeNode): Record<string, string> {
  if (!node.gpus) return {};
  return {
    'nvidia.com/gpu.present': 'true',
    'nvidia.com/gpu.count': String(node.gpus),
    ...(node.gpuProduct ? { 'nvidia.com/gpu.product': node.gpuProduct } : {}),
    ...(node.gpuMemoryMiB ? { 'nvidia.com/gpu.memory': String(node.gpuMemoryMiB) } : {}),
  };
}

/** The taints the node carries once Ready: its own, plus the GPU taint on GPU nodes. */
export function nodeTaints(node: FakeNode): NodeTaint[] {
  const own = node.taints ?? [];
  const gpu = node.gpus && !own.some((t) => t.key === GPU_TAINT.key) ? [GPU_TAINT] : [];
  return [...own, ...gpu];
}

/** The v1 Node object for `node`, status included: kwok keeps the capacity we declare. */
export function nodeManifest(node: FakeNode): Record<string, unknown> {
  const resources: Record<string, string> = {
    cpu: node.cpu,
    memory: node.memory,
    pods: '110',
    'ephemeral-storage': '100Gi',
    ...(node.gpus ? { 'nvidia.com/gpu': String(node.gpus) } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...gpuLabels(node),
        ...node.labels,
      },
    },
    spec: { taints: nodeTaints(node) },
    status: { capacity: resources, allocatable: resources },
  };
}

/**
 * kwok's configuration file. Without Stage objects in it, kwok v0.7.0 plays its built-in
 * "fast" stages: node-initialize + heartbeat for nodes, pod-ready/complete/delete for
 * pods, i.e. nodes turn Ready at once and bound pods go straight to Running and Ready.
 * Passing our own file also keeps a user's ~/.kwok/kwok.yaml out of the tests.
 */
export function kwokConfiguration(podCidr: string): string {
  return [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokConfiguration',
    'options:',
    `  cidr: ${podCidr}`,
    '  manageAllNodes: false',
    `  manageNodesWithAnnotationSelector: ${KWOK_NODE_ANNOTATION}=fake`,
    '  nodeLeaseDurationSeconds: 40',
    '',
  ].join('\n');
}
