// Every contract between the operator and the data plane, written once: the router's
// configuration, the `kubeinfer serve` settings, model URIs (pvc:// mounts included),
// storage credentials and the concurrency autoscaling metric. The operator, the runtime, local mode and fetch-model import from
// here; none of them imports another (DESIGN.md "Layout").
export * from './autoscaling-metric.ts';
export * from './model-uri.ts';
export * from './router-config.ts';
export * from './serve-settings.ts';
export * from './storage-credentials.ts';
export * from './tracing.ts';
