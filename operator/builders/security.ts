// The Pod Security Standards "restricted" profile, for every kubeinfer pod.
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { RUN_AS_USER } from './options.ts';

/** Pod-level: non-root with a fixed uid (images need not declare a numeric USER), RuntimeDefault seccomp. */
export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level: read-only root filesystem, no privilege escalation, no capabilities. */
export function containerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
