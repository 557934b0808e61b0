// Services: one per version (the router's backends and direct access) and the
// stable one named after the InferenceService, in front of the router.
import type { V1Service } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';
import { modelSelector, routerSelector, standardLabels } from './labels.ts';
import { routerServiceName, versionObjectName } from './names.ts';
import { GRPC_PORT, SERVICE_PORT } from './options.ts';
import { childMetadata } from './owner.ts';

function clusterIpService(
  isvc: InferenceService,
  name: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(isvc, name, labels),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      ],
    },
  };
}

/** Service `<isvc>-<version>`. */
export function versionService(isvc: InferenceService, version: string): V1Service {
  const name = versionObjectName(isvc.metadata.name ?? '', version);
  return clusterIpService(isvc, name, standardLabels(isvc, 'model', version), modelSelector(isvc, version));
}

/** Service `<isvc>`: the weighted, stable endpoint. */
export function routerService(isvc: InferenceService): V1Service {
  const name = routerServiceName(isvc.metadata.name ?? '');
  return clusterIpService(isvc, name, standardLabels(isvc, 'router'), routerSelector(isvc));
}
