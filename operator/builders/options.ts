// Operator-level settings that shape the objects (not the InferenceService's own spec).
import type { V1ContainerPort } from '@kubernetes/client-node';

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface BuildOptions {
  /** Image with the `kubeinfer` CLI: runs `serve`, `route` and `fetch-model`. */
  readonly runtimeImage: string;
  readonly imagePullPolicy?: ImagePullPolicy | undefined;
  /** Names of Secrets for pulling the runtime image. */
  readonly imagePullSecrets?: readonly string[] | undefined;
  /** DNS suffix of the cluster, for status.url. */
  readonly clusterDomain?: string;
  /** OTLP/HTTP collector every runtime and router pod sends trace spans to; undefined: tracing off. */
  readonly otlpEndpoint?: string | undefined;
  /** Prometheus that KEDA's prometheus trigger queries for the concurrency metric (engine keda). */
  readonly kedaPrometheusUrl?: string | undefined;
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** Port every kubeinfer container listens on (named `http`). */
export const HTTP_PORT = 8080;
/** Port the Services expose. */
export const SERVICE_PORT = 80;
/** gRPC port (named `grpc`) of runtime and router containers and of the Services, KServe's 8081. */
export const GRPC_PORT = 8081;

/** The named ports of every runtime and router container: the Services target them by name. */
export function containerPorts(): V1ContainerPort[] {
  return [
    { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
    { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
  ];
}
/** Where the model lives in a runtime pod. */
export const MODEL_DIR = '/mnt/models';
/** Where the pipeline's step models and the labels file live in a runtime pod. */
export const ARTIFACTS_DIR = '/mnt/artifacts';
/** The user model and router containers run as (distroless `nonroot`). */
export const RUN_AS_USER = 65532;
