// What spec.auth adds to the router pod: the flags of `kubeinfer route` that turn
// on a mode, and for API keys the Secret mounted read-only where the router re-reads
// it (the kubelet updates a mounted Secret in place, so rotation needs no restart).
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';

/** Where the router pod sees the API-key Secret. */
export const API_KEYS_MOUNT = '/var/run/secrets/kubeinfer/api-keys';
const API_KEYS_VOLUME = 'api-keys';

export interface RouterAuth {
  readonly args: readonly string[];
  readonly volumes: readonly V1Volume[];
  readonly volumeMounts: readonly V1VolumeMount[];
}

/** Router flags and volumes for spec.auth; nothing without it. */
export function routerAuth(isvc: InferenceService): RouterAuth {
  const auth = isvc.spec.auth;
  if (!auth) return { args: [], volumes: [], volumeMounts: [] };
  const metrics = auth.protectMetrics ? ['--protect-metrics'] : [];
  if (auth.mode === 'kubernetes') {
    return {
      args: ['--auth-kubernetes', `${isvc.metadata.namespace ?? 'default'}/${isvc.metadata.name ?? ''}`, ...metrics],
      volumes: [],
      volumeMounts: [],
    };
  }
  return {
    args: ['--api-keys-file', API_KEYS_MOUNT, ...metrics],
    volumes: [{ name: API_KEYS_VOLUME, secret: { secretName: auth.secretRef?.name ?? '', defaultMode: 0o440 } }],
    volumeMounts: [{ name: API_KEYS_VOLUME, mountPath: API_KEYS_MOUNT, readOnly: true }],
  };
}
