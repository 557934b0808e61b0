// GET through the apiserver's pod proxy (pods/<name>:<port>/proxy/<path>): how a CLI on a
// laptop reads a pod's own HTTP endpoint with nothing but a kubeconfig (RBAC: get on
// pods/proxy), as `kubectl get --raw` does.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Result } from './errors.ts';
import { PodKind, resourcePath } from './resources.ts';
import { ApiTransport, HttpMethod } from './transport.ts';

/** Reads pods' endpoints through one connection pool. */
export interface PodProxy {
  /** The parsed JSON answer of GET `path` on port `port` of pod `namespace/name`. */
  get(namespace: string, name: string, port: number, path: string): Promise<Result<unknown>>;
}

/** A pod proxy over the kubeconfig's cluster; `timeoutMs` bounds each read. */
export function podProxy(kubeConfig: KubeConfig, timeoutMs: number): PodProxy {
  const transport = new ApiTransport(kubeConfig, timeoutMs);
  return {
    get: (namespace, name, port, path) =>
      transport.send({
        verb: 'get',
        resource: PodKind,
        method: HttpMethod.GET,
        path: resourcePath(PodKind, namespace, `${name}:${port}`, `proxy${path}`),
        subresource: 'proxy',
      }),
  };
}
