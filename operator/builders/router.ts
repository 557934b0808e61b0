// The router Deployment (`kubeinfer route`). Its pod template depends only on
// the InferenceService's name and router settings, never on weights: new
// weights reach it through its ConfigMap watch.
import type { V1Deployment } from '@kubernetes/client-node';
import { withSchemaDefaults, type InferenceService, type ResourceRequirements } from '../../api/index.ts';
import { routerSelector, scrapeAnnotations, standardLabels } from './labels.ts';
import { routerAuth } from './router-auth.ts';
import { routerObjectName } from './names.ts';
import { OTLP_ENDPOINT } from '../../contracts/index.ts';
import { containerPorts, GRPC_PORT, HTTP_PORT, type BuildOptions } from './options.ts';
import { childMetadata } from './owner.ts';
import { containerResources } from './pod.ts';
import { routerProbes } from './probes.ts';
import { containerSecurityContext, podSecurityContext } from './security.ts';
import { routerTermination } from './termination.ts';

/** Every caller goes through the router: its memory is bounded (its mirror holds at most 64 MiB of bodies). */
export const DEFAULT_ROUTER_RESOURCES: ResourceRequirements = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };

/** Deployment `<isvc>-router`. */
export function routerDeployment(isvc: InferenceService, options: BuildOptions): V1Deployment {
  const name = routerObjectName(isvc.metadata.name ?? '');
  const namespace = isvc.metadata.namespace ?? 'default';
  const router = withSchemaDefaults(isvc.spec).router;
  const termination = routerTermination();
  const auth = routerAuth(isvc);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(isvc, name, standardLabels(isvc, 'router')),
    spec: {
      replicas: router.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: routerSelector(isvc) },
      template: {
        metadata: { labels: standardLabels(isvc, 'router'), annotations: scrapeAnnotations(HTTP_PORT) },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: true, // the router watches its ConfigMap through the API
          terminationGracePeriodSeconds: termination.terminationGracePeriodSeconds,
          // Replicas on different nodes where possible, so one node going away leaves a router.
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: routerSelector(isvc) },
            },
          ],
          securityContext: podSecurityContext(),
          ...(options.imagePullSecrets?.length ? { imagePullSecrets: options.imagePullSecrets.map((secret) => ({ name: secret })) } : {}),
          ...(auth.volumes.length > 0 ? { volumes: [...auth.volumes] } : {}),
          containers: [
            {
              name: 'router',
              image: options.runtimeImage,
              ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
              args: [
                'route',
                '--configmap',
                `${namespace}/${name}`,
                '--port',
                String(HTTP_PORT),
                '--grpc-port',
                String(GRPC_PORT),
                ...termination.args,
                ...auth.args,
              ],
              ...(auth.volumeMounts.length > 0 ? { volumeMounts: [...auth.volumeMounts] } : {}),
              ...(options.otlpEndpoint === undefined ? {} : { env: [{ name: OTLP_ENDPOINT.env, value: options.otlpEndpoint }] }),
              ports: containerPorts(),
              resources: containerResources(router.resources ?? DEFAULT_ROUTER_RESOURCES),
              lifecycle: termination.lifecycle,
              ...routerProbes(),
              securityContext: containerSecurityContext(),
            },
          ],
        },
      },
    },
  };
}
