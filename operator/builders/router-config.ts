// The router's configuration (DESIGN.md "Router configuration"), in ConfigMap
// `<isvc>-router` under `router.json`. It is the only object a weight change
// touches: the router watches it and applies new weights without a restart.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { resolveVersions, type InferenceService, type VersionWeight } from '../../api/index.ts';
import { buildRouterConfig, formatRouterConfig, ROUTER_CONFIG_KEY, type RouterConfig, type RouterMirror } from '../../contracts/index.ts';
import { standardLabels } from './labels.ts';
import { routerObjectName, versionServiceUrl } from './names.ts';
import { GRPC_PORT, SERVICE_PORT } from './options.ts';
import { childMetadata } from './owner.ts';

/** The traffic a rollout puts on the router instead of the spec's: its effective weights, and its shadow mirror. */
export interface EffectiveTraffic {
  readonly weights: readonly VersionWeight[];
  readonly mirror?: RouterMirror;
}

/** The router configuration an InferenceService implies (with a rollout's traffic when one is under way): each version behind its Service. */
export function routerConfig(isvc: InferenceService, traffic?: EffectiveTraffic): RouterConfig {
  const name = isvc.metadata.name ?? '';
  const namespace = isvc.metadata.namespace ?? 'default';
  const versions = resolveVersions(isvc.spec).map((version) => ({
    ...version,
    weight: traffic?.weights.find((w) => w.name === version.name)?.weight ?? version.weight,
  }));
  const endpoints = (version: string) => ({
    url: versionServiceUrl(name, namespace, version, SERVICE_PORT),
    grpcUrl: versionServiceUrl(name, namespace, version, GRPC_PORT),
  });
  return buildRouterConfig(name, versions, endpoints, traffic?.mirror);
}

/** ConfigMap `<isvc>-router`. */
export function routerConfigMap(isvc: InferenceService, traffic?: EffectiveTraffic): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(isvc, routerObjectName(isvc.metadata.name ?? ''), standardLabels(isvc, 'router')),
    data: { [ROUTER_CONFIG_KEY]: formatRouterConfig(routerConfig(isvc, traffic)) },
  };
}
