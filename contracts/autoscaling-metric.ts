// The concurrency autoscaling metric: `kubeinfer serve` exports this per-pod gauge; the
// operator's HPA (through a custom-metrics adapter) or KEDA ScaledObject scales on it, and the
// chart's prometheus-adapter rules expose it. A rename here renames it everywhere.

/** In-flight inference requests of one pod (queued or running), a Prometheus gauge. */
export const CONCURRENCY_METRIC = 'kubeinfer_inference_inflight_requests';
