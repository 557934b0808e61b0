// How model and router pods leave service without dropping a request. On deletion the
// endpoints controller and kube-proxy take seconds to stop sending to a pod, and clients'
// pooled keep-alive connections keep reaching it after that. So: a preStop sleep keeps the
// pod serving while endpoints catch up; then SIGTERM starts the process's own shutdown delay
// (not ready, still serving, each response closing its connection so pooled clients
// reconnect to live pods); then in-flight requests finish; and the grace period covers all
// of it, so the kubelet never SIGKILLs a pod that is still answering.
import type { V1EnvVar, V1Lifecycle } from '@kubernetes/client-node';

/** Endpoint propagation allowance, slept in preStop (the kubelet's own sleep action: no shell in the image). */
export const PRESTOP_SLEEP_SECONDS = 5;
/** The process's own not-ready-but-serving window after SIGTERM. */
export const SHUTDOWN_DELAY_MS = 5_000;
/** Longest a model server waits for in-flight inference after it stops accepting. */
export const MODEL_DRAIN_TIMEOUT_SECONDS = 25;
/** The router's fixed wait for requests in flight (its SHUTDOWN_GRACE_MS). */
const ROUTER_DRAIN_SECONDS = 20;
/** Slack for process exit and the kubelet's own bookkeeping. */
const SLACK_SECONDS = 5;

const preStop: V1Lifecycle = { preStop: { sleep: { seconds: PRESTOP_SLEEP_SECONDS } } };

/** Grace period that covers the preStop sleep, the shutdown delay and the drain. */
function gracePeriod(drainSeconds: number): number {
  return PRESTOP_SLEEP_SECONDS + SHUTDOWN_DELAY_MS / 1000 + drainSeconds + SLACK_SECONDS;
}

/** The model container's lifecycle and the variables that set its shutdown timing. */
export function modelTermination(): { lifecycle: V1Lifecycle; env: V1EnvVar[]; terminationGracePeriodSeconds: number } {
  return {
    lifecycle: preStop,
    env: [
      { name: 'KUBEINFER_SHUTDOWN_DELAY_MS', value: String(SHUTDOWN_DELAY_MS) },
      { name: 'KUBEINFER_DRAIN_TIMEOUT_SECONDS', value: String(MODEL_DRAIN_TIMEOUT_SECONDS) },
    ],
    terminationGracePeriodSeconds: gracePeriod(MODEL_DRAIN_TIMEOUT_SECONDS),
  };
}

/** The router container's lifecycle and the flags that set its shutdown timing. */
export function routerTermination(): { lifecycle: V1Lifecycle; args: string[]; terminationGracePeriodSeconds: number } {
  return {
    lifecycle: preStop,
    args: ['--shutdown-delay-ms', String(SHUTDOWN_DELAY_MS)],
    terminationGracePeriodSeconds: gracePeriod(ROUTER_DRAIN_SECONDS),
  };
}
