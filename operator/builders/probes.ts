// Probes on the Open Inference Protocol health endpoints, which the runtime and
// the router both serve.
import type { V1Probe } from '@kubernetes/client-node';

const httpGet = (path: string) => ({ path, port: 'http', scheme: 'HTTP' });

/** Probes of a model container: ready once the model is loaded, alive while the HTTP server answers. */
export function modelProbes(): { startupProbe: V1Probe; readinessProbe: V1Probe; livenessProbe: V1Probe } {
  return {
    // Large models take minutes to load; liveness only starts after this succeeds,
    // so a slow load is never mistaken for a hung server. 5 s x 180 = 15 minutes.
    startupProbe: { httpGet: httpGet('/v2/health/ready'), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 180 },
    readinessProbe: { httpGet: httpGet('/v2/health/ready'), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { httpGet: httpGet('/v2/health/live'), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  };
}

/** Probes of a router container: it is ready once it has a valid configuration. */
export function routerProbes(): { readinessProbe: V1Probe; livenessProbe: V1Probe } {
  return {
    readinessProbe: { httpGet: httpGet('/v2/health/ready'), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    livenessProbe: { httpGet: httpGet('/v2/health/live'), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  };
}
