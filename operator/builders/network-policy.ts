// NetworkPolicy `<isvc>`: the model pods accept connections on their http and grpc ports only
// from this InferenceService's router pods (and from the peers in allowFrom, such as
// a metrics scraper). Anyone who can reach a version's Service directly could
// otherwise skip the router's authentication, its split and its audit. The kubelet's
// probes are not subject to NetworkPolicies, so health checks keep working.
import type { InferenceService } from '../../api/index.ts';
import { LABEL_COMPONENT, LABEL_ISVC, routerSelector, standardLabels } from './labels.ts';
import { childMetadata } from './owner.ts';
import type { KubeObject } from '../../kube/types.ts';

/** The model pods' NetworkPolicy, or undefined when spec.networkPolicy.enabled is false. */
// Typed as a plain object: client-node's V1NetworkPolicy spells the wire field `from` as `_from`.
export function modelNetworkPolicy(isvc: InferenceService): KubeObject | undefined {
  const settings = isvc.spec.networkPolicy;
  if (settings?.enabled === false) return undefined;
  const name = isvc.metadata.name ?? '';
  const ports = [
    { port: 'http', protocol: 'TCP' },
    { port: 'grpc', protocol: 'TCP' },
  ];
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    // Not one version's labels: this policy covers the model pods of every version.
    metadata: childMetadata(isvc, name, {
      ...standardLabels(isvc, 'model'),
      'app.kubernetes.io/instance': name,
      [LABEL_COMPONENT]: 'model',
    }),
    spec: {
      podSelector: { matchLabels: { [LABEL_ISVC]: name, [LABEL_COMPONENT]: 'model' } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: routerSelector(isvc) } }], ports },
        ...(settings?.allowFrom?.length ? [{ from: [...settings.allowFrom], ports }] : []),
      ],
    },
  };
  return policy as unknown as KubeObject;
}
