// desiredObjects: the exact set of objects one InferenceService should own.
// Pure: the operator applies its result and `kubeinfer render` prints it.
import { resolveVersions, type InferenceService } from '../../api/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { modelDeployment } from './deployment.ts';
import { routerDisruptionBudget } from './disruption.ts';
import { withAppliedHash } from './hash.ts';
import { versionHpa } from './hpa.ts';
import { versionScaledObject } from './keda.ts';
import { modelNetworkPolicy } from './network-policy.ts';
import type { BuildOptions } from './options.ts';
import { routerDeployment } from './router.ts';
import { routerConfigMap, type EffectiveTraffic } from './router-config.ts';
import { routerRole, routerRoleBinding, routerServiceAccount } from './router-rbac.ts';
import { routerService, versionService } from './service.ts';

export type { BuildOptions } from './options.ts';
export type { EffectiveTraffic } from './router-config.ts';

/**
 * Every child object of an InferenceService, in apply order (RBAC and
 * configuration before the workloads that use them), each stamped with its
 * applied-hash annotation.
 * @example desiredObjects(isvc, { runtimeImage: 'ghcr.io/kubeinfer/runtime:0.1.0' })
 */
export function desiredObjects(isvc: InferenceService, options: BuildOptions): KubeObject[] {
  const perVersion = resolveVersions(isvc.spec).flatMap((version) => {
    const autoscaler = versionHpa(isvc, version) ?? versionScaledObject(isvc, version, options.kedaPrometheusUrl ?? '');
    return [modelDeployment(isvc, version, options), versionService(isvc, version.name), ...(autoscaler ? [autoscaler] : [])];
  });
  const policy = modelNetworkPolicy(isvc);
  const objects = [
    ...(policy ? [policy] : []), // isolation first: model pods never run unprotected
    routerServiceAccount(isvc),
    routerRole(isvc),
    routerRoleBinding(isvc),
    routerConfigMap(isvc),
    ...perVersion,
    routerDeployment(isvc, options),
    routerDisruptionBudget(isvc),
    routerService(isvc),
  ];
  return objects.map((object) => withAppliedHash(object as unknown as KubeObject));
}

/** `desired` with the router's ConfigMap carrying a rollout's effective traffic instead of the spec's weights. */
export function withEffectiveTraffic(desired: readonly KubeObject[], isvc: InferenceService, traffic: EffectiveTraffic): KubeObject[] {
  return desired.map((object) =>
    object.kind === 'ConfigMap' ? withAppliedHash(routerConfigMap(isvc, traffic) as unknown as KubeObject) : object,
  );
}
