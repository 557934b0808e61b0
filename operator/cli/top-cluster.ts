// `kubeinfer top <name>`'s cluster side: the InferenceService's router pods, each read
// through the apiserver's pod proxy (RBAC: get on pods/proxy), so a laptop with a kubeconfig
// needs no port-forward; the InferenceService is re-read each time for its replicas.
import type { V1PodSpec } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';
import { describeError } from '../../kube/errors.ts';
import { podProxy } from '../../kube/pod-proxy.ts';
import type { KubeObject } from '../../kube/types.ts';
import { ROUTER_STATS_PATH, type RouterFigures } from '../../rollout/figures.ts';
import { HTTP_PORT } from '../builders/options.ts';
import { podFiguresSource } from '../controller/router-figures.ts';
import { readInferenceService } from './cluster.ts';
import type { TopFlags, TopSource } from './top.ts';
import type { Replicas } from './top-table.ts';

const READ_TIMEOUT_MS = 5_000;

/** `<pod>:<port>` of a running router pod's `http` port, as the pod proxy names it. */
function proxyAddress(pod: KubeObject): string | undefined {
  if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running') return undefined;
  const spec = pod.spec as V1PodSpec | undefined;
  const http = spec?.containers.flatMap((container) => container.ports ?? []).find((port) => port.name === 'http');
  return `${pod.metadata.name}:${http?.containerPort ?? HTTP_PORT}`;
}

function versionReplicas(isvc: InferenceService): ReadonlyMap<string, Replicas> {
  return new Map(
    (isvc.status?.versions ?? []).map((version) => [version.name, { ready: version.readyReplicas, desired: version.replicas }]),
  );
}

/** The source of `kubeinfer top <name>`, or the exit code once the InferenceService could not be read (error printed). */
export async function clusterSource(name: string, flags: TopFlags): Promise<TopSource | number> {
  const first = await readInferenceService(name, flags);
  if (!first.ok) return first.exitCode;
  const { client, kubeConfig, namespace } = first;
  const proxy = podProxy(kubeConfig, READ_TIMEOUT_MS);
  const readPod = async (address: string): Promise<RouterFigures | string> => {
    const [pod = '', port] = address.split(':');
    const answer = await proxy.get(namespace, pod, Number(port), ROUTER_STATS_PATH);
    return answer.ok ? (answer.value as RouterFigures) : `GET ${ROUTER_STATS_PATH} through the pod proxy: ${describeError(answer.error)}`;
  };
  const routers = podFiguresSource(client, proxyAddress, readPod);
  return {
    name: `${namespace}/${name}`,
    async read() {
      const isvc = await readInferenceService(name, flags);
      if (!isvc.ok) return `cannot read InferenceService ${namespace}/${name}`;
      const read = await routers.read(isvc.isvc);
      return read.ok ? { routers: read.value, replicas: versionReplicas(isvc.isvc) } : read.error;
    },
  };
}
