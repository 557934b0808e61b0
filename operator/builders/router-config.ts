// The router's configuration (DESIGN.md "Router configuration"), in ConfigMap
// `<isvc>-router` under `router.json`. It is the only object a weight change
// touches: the router watches it and applies new weights without a restart.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { resolveVersions, type InferenceService } from '../../api/index.ts';
import { formatRouterConfig, ROUTER_CONFIG_KEY, type RouterConfig } from '../../runtime/router/config.ts';
import { standardLabels } from './labels.ts';
import { routerObjectName, versionServiceUrl } from './names.ts';
import { GRPC_PORT, SERVICE_PORT } from './options.ts';
import { childMetadata } from './owner.ts';

/** The router configuration an InferenceService implies. */
export function routerConfig(isvc: InferenceService): RouterConfig {
  const name = isvc.metadata.name ?? '';
  const namespace = isvc.metadata.namespace ?? 'default';
  const mirror = isvc.spec.traffic?.mirror;
  return {
    model: name,
    versions: resolveVersions(isvc.spec).map((version) => ({
      name: version.name,
      weight: version.weight,
      url: versionServiceUrl(name, namespace, version.name, SERVICE_PORT),
      grpcUrl: versionServiceUrl(name, namespace, version.name, GRPC_PORT),
    })),
    mirror: mirror ? { version: mirror.version, percent: mirror.percent ?? 100 } : null,
  };
}

/** ConfigMap `<isvc>-router`. */
export function routerConfigMap(isvc: InferenceService): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(isvc, routerObjectName(isvc.metadata.name ?? ''), standardLabels(isvc, 'router')),
    data: { [ROUTER_CONFIG_KEY]: formatRouterConfig(routerConfig(isvc)) },
  };
}
