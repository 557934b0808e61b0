// The InferenceService API (serving.kubeinfer.io/v1alpha1) as TypeScript types.
// The schema in schema.ts describes the same shape for the CRD and for offline
// validation; a compile-time check there fails the typecheck when the two disagree.
import type { V1Affinity, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import type { RolloutSpec, RolloutStatus } from './rollout-types.ts';

export type * from './rollout-types.ts';

export const API_GROUP = 'serving.kubeinfer.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;
export const KIND = 'InferenceService';
export const PLURAL = 'inferenceservices';
export const SINGULAR = 'inferenceservice';
/** `infsvc`, not `isvc`: KServe owns `isvc` and both may be installed in one cluster. */
export const SHORT_NAMES: readonly string[] = ['infsvc'];

/** A Kubernetes quantity as written in YAML: `"500m"`, `"1Gi"` or a bare number. */
export type Quantity = string | number;

/** The subset of metav1.ObjectMeta that InferenceService code reads or writes. */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
}

/** Compute resources, as in a container's `resources`. */
export interface ResourceRequirements {
  readonly requests?: Readonly<Record<string, Quantity>>;
  readonly limits?: Readonly<Record<string, Quantity>>;
}

/** Where a version's model comes from. */
export interface ModelSource {
  /** `file://`, `pvc://<claim>/<path>`, `http://`, `https://`, `s3://`, `gs://`. */
  readonly uri: string;
  /** Hex SHA-256 of the model file; fetch-model refuses a file that does not match. */
  readonly sha256?: string;
}

/** A file fetched like a model (same storage code, credentials and checksum check). */
export interface ArtifactSource {
  readonly uri: string;
  readonly sha256?: string;
}

/** A version's model, plus the labels the classification extension appends to class indices. */
export interface VersionModel extends ModelSource {
  /** One label per line; line i names class index i. */
  readonly labels?: ArtifactSource;
}

export type ImageLayout = 'NCHW' | 'NHWC';
export type ImageChannels = 'RGB' | 'BGR' | 'GRAY';
/** fill: stretch to the size; fit: keep the aspect ratio and pad with black; crop: cover and cut the centre. */
export type ImageResize = 'fill' | 'fit' | 'crop';

/** The built-in image step: encoded JPEG/PNG/WebP bytes per row -> a normalised float tensor. */
export interface ImageStep {
  /** BYTES input holding one encoded image per row. */
  readonly input: string;
  /** FP32 output that the next step consumes by name. */
  readonly output: string;
  readonly width: number;
  readonly height: number;
  readonly layout?: ImageLayout;
  readonly channels?: ImageChannels;
  /** Each 0..255 pixel is multiplied by scale, then (x - mean[c]) / std[c]. */
  readonly scale?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly resize?: ImageResize;
}

/** One step around the model: another ONNX graph, or a built-in step. Exactly one is set. */
export interface PipelineStep {
  readonly model?: ArtifactSource;
  readonly image?: ImageStep;
}

/** Steps run before and after the model in the same worker, wired by tensor name. */
export interface Pipeline {
  readonly preprocess?: readonly PipelineStep[];
  readonly postprocess?: readonly PipelineStep[];
}

/** Dynamic batching: adaptive by default, Triton's preferred batch size and queue delay on request. */
export interface BatchingSettings {
  readonly maxBatchSize?: number;
  readonly preferredBatchSize?: number;
  readonly maxQueueDelayMicros?: number;
}

export type ExecutionProvider = 'cpu' | 'cuda';

/** ONNX Runtime session options for every worker's session. */
export interface SessionOptions {
  readonly intraOpThreads?: number;
  readonly interOpThreads?: number;
  readonly executionMode?: 'sequential' | 'parallel';
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  readonly memoryArena?: boolean;
  readonly memoryPattern?: boolean;
  readonly cacheOptimizedModel?: boolean;
}

/** Model server settings; each maps to a `KUBEINFER_*` variable of `kubeinfer serve`. */
export interface RuntimeSettings {
  readonly workers?: number;
  readonly batching?: BatchingSettings;
  readonly session?: SessionOptions;
  readonly maxQueueSize?: number;
  readonly maxRequestBytes?: number;
  readonly maxBodyBytesInFlight?: number;
  readonly executionProvider?: ExecutionProvider;
}

export type ScalingPolicyType = 'Pods' | 'Percent';
export type ScalingSelectPolicy = 'Max' | 'Min' | 'Disabled';

/** One HPA scaling policy (autoscaling/v2 HPAScalingPolicy). */
export interface ScalingPolicy {
  readonly type: ScalingPolicyType;
  readonly value: number;
  readonly periodSeconds: number;
}

/** One direction of HPA behavior (autoscaling/v2 HPAScalingRules). */
export interface ScalingRules {
  readonly stabilizationWindowSeconds?: number;
  readonly selectPolicy?: ScalingSelectPolicy;
  readonly policies?: readonly ScalingPolicy[];
}

/** HPA behavior, passed through to the HorizontalPodAutoscaler unchanged. */
export interface ScalingBehavior {
  readonly scaleUp?: ScalingRules;
  readonly scaleDown?: ScalingRules;
}

/** `cpu`: percent of requested CPU; `concurrency`: in-flight requests per pod. */
export type AutoscalingMetric = 'cpu' | 'concurrency';

/** `hpa`: a HorizontalPodAutoscaler; `keda`: a KEDA ScaledObject (keda.sh/v1alpha1), which makes its own HPA. */
export type AutoscalingEngine = 'hpa' | 'keda';

/** Horizontal autoscaling of one version's Deployment. */
export interface Autoscaling {
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  readonly metric?: AutoscalingMetric;
  /** Default `hpa`: built into every cluster; `keda` needs KEDA installed. */
  readonly engine?: AutoscalingEngine;
  /** Defaults: 80 (percent) for `cpu`, 8 (requests per pod) for `concurrency`. */
  readonly target?: number;
  readonly behavior?: ScalingBehavior;
}

/** GPU placement: resource limits, node affinity on GPU labels, tolerations. */
export interface GpuRequirements {
  /** GPUs per pod, or MIG slices per pod when `mig` is set. */
  readonly count?: number;
  /** Allowed values of the node label `nvidia.com/gpu.product`. */
  readonly products?: readonly string[];
  /** Minimum GPU memory (node label `nvidia.com/gpu.memory`, MiB). */
  readonly memoryMiB?: number;
  /** MIG profile such as `1g.10gb`; requests `nvidia.com/mig-<profile>`. */
  readonly mig?: string;
}

/** One toleration, as in a Pod spec. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

/** Pod placement passed through to every model pod. */
export interface Scheduling {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  readonly affinity?: V1Affinity;
  readonly priorityClassName?: string;
}

/** A reference to a Secret in the InferenceService's namespace. */
export interface SecretReference {
  readonly name: string;
}

/** Model storage credentials. */
export interface StorageSettings {
  readonly secretRef?: SecretReference;
}

/** Who may call the model; the router enforces it. */
export interface AuthSettings {
  readonly mode: 'kubernetes' | 'apiKey';
  /** The Secret of API keys (mode apiKey). */
  readonly secretRef?: SecretReference;
  readonly protectMetrics?: boolean;
}

/** Network isolation of the model pods (a NetworkPolicy, on by default). */
export interface NetworkPolicySettings {
  readonly enabled?: boolean;
  readonly allowFrom?: readonly V1NetworkPolicyPeer[];
}

/** The weighted router in front of the versions. */
export interface RouterSettings {
  readonly replicas?: number;
  readonly resources?: ResourceRequirements;
}

/** Copies of live requests sent to a version whose answers are discarded. */
export interface TrafficMirror {
  readonly version: string;
  readonly percent?: number;
}

export interface TrafficSettings {
  readonly mirror?: TrafficMirror;
}

/** One model version; the overrides replace the spec-level block of the same name. */
export interface ModelVersion {
  readonly name: string;
  readonly model: VersionModel;
  readonly pipeline?: Pipeline;
  /** Percent of live traffic; omitted means 0, or 100 when it is the only version. */
  readonly weight?: number;
  readonly resources?: ResourceRequirements;
  /** A fixed replica count for this version (no HPA). */
  readonly replicas?: number;
  readonly autoscaling?: Autoscaling;
  readonly runtime?: RuntimeSettings;
}

export interface InferenceServiceSpec {
  readonly versions: readonly ModelVersion[];
  readonly runtime?: RuntimeSettings;
  readonly resources?: ResourceRequirements;
  readonly gpu?: GpuRequirements;
  /** A fixed replica count for every version without its own scaling block. */
  readonly replicas?: number;
  readonly autoscaling?: Autoscaling;
  readonly scheduling?: Scheduling;
  readonly storage?: StorageSettings;
  readonly router?: RouterSettings;
  readonly traffic?: TrafficSettings;
  readonly auth?: AuthSettings;
  readonly networkPolicy?: NetworkPolicySettings;
  /** Progressive delivery of weight changes; without it new weights apply at once. */
  readonly rollout?: RolloutSpec;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition. */
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

/** The kstatus condition types the operator maintains. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export interface VersionStatus {
  readonly name: string;
  readonly weight: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly ready: boolean;
  /** Why the version is not ready (absent while it is). */
  readonly reason?: string;
  readonly message?: string;
}

export interface InferenceServiceStatus {
  /** The generation of THIS InferenceService the status describes (kstatus). */
  readonly observedGeneration?: number;
  readonly conditions?: readonly Condition[];
  readonly url?: string;
  readonly versions?: readonly VersionStatus[];
  /** `v1=90,v2=10` (mirror as `v3=mirror:20`), shown by `kubectl get`. */
  readonly trafficSummary?: string;
  readonly rollout?: RolloutStatus;
}

export interface InferenceService {
  readonly apiVersion: typeof API_GROUP_VERSION;
  readonly kind: typeof KIND;
  readonly metadata: ObjectMeta;
  readonly spec: InferenceServiceSpec;
  readonly status?: InferenceServiceStatus;
}
