// The InferenceService schema: the single source for the CRD's openAPIV3Schema and
// for offline validation. The hand-written types in types.ts must match it exactly;
// the assertions at the bottom break the typecheck the moment they drift.
import { boolean, celString, enumeration, integer, list, object, optional, required, string } from './schema-builder.ts';
import type { TypeOf } from './schema-builder.ts';
import { DNS_LABEL } from './names.ts';
import { rollout, rolloutStatus } from './schema-rollout.ts';
import { labels, modelUri, pipeline } from './schema-pipeline.ts';
import { auth, autoscaling, gpu, networkPolicy, resources, router, runtime, scheduling, storage } from './schema-fields.ts';
import type { InferenceServiceSpec, InferenceServiceStatus } from './types.ts';

export const MAX_VERSIONS = 8;
export const ROUTER_SUFFIX = '-router';
const modelSource = object('Where the ONNX model comes from.', {
  uri: required(
    modelUri(
      'Model location: file:///path, pvc://<claim>/<path>, http(s)://host/path, s3://<bucket>/<key> or gs://<bucket>/<object>. Pulled into /mnt/models/model.onnx by the fetch-model init container (a pvc:// claim is mounted read-only instead).',
    ),
  ),
  sha256: optional(
    string('Hex SHA-256 of the model file; fetch-model refuses a download that does not match.', {
      pattern: '^[a-f0-9]{64}$',
      maxLength: 64,
    }),
  ),
  labels: optional(labels),
});

const modelVersion = object(
  'One model version: a Deployment, Service and (with autoscaling) HorizontalPodAutoscaler named <name>-<version>. resources, replicas/autoscaling and runtime given here replace the spec-level block of the same name for this version.',
  {
    name: required(
      string('Version name, a DNS label such as v1 or canary; served at /v2/models/<name>/versions/<version>.', {
        pattern: DNS_LABEL,
        minLength: 1,
        maxLength: 56,
        rules: [{ rule: "self != 'router'", message: "version name 'router' is reserved: <name>-router is the router's Deployment" }],
      }),
    ),
    model: required(modelSource),
    pipeline: optional(pipeline),
    weight: optional(
      integer('Percent of live traffic this version receives. Weights sum to 100; omitted means 0, or 100 for the only version.', {
        minimum: 0,
        maximum: 100,
      }),
    ),
    resources: optional(resources),
    replicas: optional(
      integer('A fixed number of pods for this version, without an HPA. 0 keeps the version declared but not running (weight must be 0).', {
        minimum: 0,
        maximum: 1000,
      }),
    ),
    autoscaling: optional(autoscaling),
    runtime: optional(runtime),
  },
  {
    rules: [
      {
        rule: '!has(self.replicas) || !has(self.autoscaling)',
        message: 'replicas and autoscaling are mutually exclusive: set a fixed replica count or autoscaling, not both',
      },
    ],
  },
);

const versionWeight = (v: string) => `(has(${v}.weight) ? ${v}.weight : (self.versions.size() == 1 ? 100 : 0))`;
const noMirror = '!has(self.traffic) || !has(self.traffic.mirror)';
const cudaWanted = (r: string) => `has(${r}) && has(${r}.executionProvider) && ${r}.executionProvider == 'cuda'`;

// The version's own block wins over the spec's (see resolve.ts); metric defaults to cpu.
const cpuAutoscaled = (v: string) =>
  `!has(${v}.replicas) && (has(${v}.autoscaling) ? ${v}.autoscaling.metric == 'cpu' : (!has(self.replicas) && has(self.autoscaling) && self.autoscaling.metric == 'cpu'))`;
const requestsCpu = (v: string) =>
  `(has(${v}.resources) ? (has(${v}.resources.requests) && 'cpu' in ${v}.resources.requests) : (has(self.resources) && has(self.resources.requests) && 'cpu' in self.resources.requests))`;

const traffic = object('How live traffic is split beyond the version weights.', {
  mirror: optional(
    object(
      'Send copies of live requests to one version whose answers are discarded (shadow traffic). At most one mirror target: this is a single version, not a list.',
      {
        version: required(
          string('The version that receives the copies; it must be declared in spec.versions with weight 0.', {
            pattern: DNS_LABEL,
            maxLength: 56,
          }),
        ),
        percent: optional(integer('Percent of live requests copied to the mirror.', { minimum: 1, maximum: 100, default: 100 })),
      },
    ),
  ),
});

const spec = object(
  'Desired state: every version that should run, declared in full.',
  {
    versions: required(
      list(modelVersion, 'The model versions, keyed by name. Every version that should run is listed here.', {
        minItems: 1,
        maxItems: MAX_VERSIONS,
        listType: 'map',
        mapKeys: ['name'],
      }),
    ),
    runtime: optional(runtime),
    resources: optional(resources),
    gpu: optional(gpu),
    replicas: optional(
      integer(
        'A fixed number of pods per version, without HPAs, for versions that set neither replicas nor autoscaling. Default 1 when autoscaling is unset too.',
        {
          minimum: 1,
          maximum: 1000,
        },
      ),
    ),
    autoscaling: optional(autoscaling),
    scheduling: optional(scheduling),
    storage: optional(storage),
    router: optional(router),
    traffic: optional(traffic),
    auth: optional(auth),
    networkPolicy: optional(networkPolicy),
    rollout: optional(rollout),
  },
  {
    rules: [
      {
        rule: `self.versions.map(v, ${versionWeight('v')}).sum() == 100`,
        message: 'version weights must sum to 100 (an omitted weight counts as 0, or 100 for the only version)',
        fieldPath: '.versions',
      },
      {
        rule: `self.versions.all(v, !has(v.replicas) || v.replicas > 0 || ${versionWeight('v')} == 0)`,
        message: 'a version with replicas: 0 must have weight 0: it would receive traffic with no pods to serve it',
        fieldPath: '.versions',
      },
      {
        rule: '!has(self.replicas) || !has(self.autoscaling)',
        message: 'spec.replicas and spec.autoscaling are mutually exclusive: set a fixed replica count or autoscaling, not both',
      },
      {
        rule: `self.versions.all(v, !(${cpuAutoscaled('v')}) || ${requestsCpu('v')})`,
        message:
          "autoscaling on cpu needs resources.requests.cpu (the HPA measures CPU as a percent of the request): set it in spec.resources or the version's resources",
        fieldPath: '.versions',
      },
      {
        rule: `${noMirror} || self.versions.exists(v, v.name == self.traffic.mirror.version)`,
        message: 'traffic.mirror.version must name a version declared in spec.versions',
        fieldPath: '.traffic.mirror.version',
      },
      {
        rule: `${noMirror} || self.versions.size() > 1`,
        message: 'traffic.mirror needs at least two versions: the mirror target cannot be the only version',
        fieldPath: '.traffic.mirror',
      },
      {
        rule: `${noMirror} || self.versions.size() == 1 || self.versions.all(v, v.name != self.traffic.mirror.version || ${versionWeight('v')} == 0)`,
        message: 'the traffic.mirror version must have weight 0: a mirror target receives copies of live requests, never live traffic',
        fieldPath: '.traffic.mirror.version',
      },
      {
        rule: '!has(self.rollout) || self.versions.size() > 1',
        message: 'rollout needs at least two versions: a stable one losing weight and a candidate gaining it',
        fieldPath: '.rollout',
      },
      {
        rule: `!(${cudaWanted('self.runtime')} || self.versions.exists(v, ${cudaWanted('v.runtime')})) || (has(self.gpu) && self.gpu.count > 0)`,
        message: 'executionProvider cuda needs a GPU: set spec.gpu',
      },
    ],
  },
);

const condition = object('A condition in the metav1.Condition shape (kstatus: Ready, Reconciling, Stalled).', {
  type: required(string('Condition type: Ready, Reconciling or Stalled.', { maxLength: 316 })),
  status: required(enumeration(['True', 'False', 'Unknown'], 'True, False or Unknown.')),
  observedGeneration: optional(integer('The generation the condition was computed from.', { format: 'int64', minimum: 0 })),
  lastTransitionTime: required(string('When the status last changed.', { format: 'date-time' })),
  reason: required(string('CamelCase machine-readable reason.', { maxLength: 1024 })),
  message: required(string('Human-readable detail.', { maxLength: 32768 })),
});

const versionStatus = object('Observed state of one version.', {
  name: required(string('The version name.', { maxLength: 63 })),
  weight: required(integer('Percent of live traffic the router currently sends to this version.', { minimum: 0, maximum: 100 })),
  replicas: required(integer('Pods of this version that exist.', { minimum: 0 })),
  readyReplicas: required(integer('Pods of this version that are ready.', { minimum: 0 })),
  ready: required(boolean('Whether the version has at least one ready pod and its Deployment is fully rolled out.')),
  reason: optional(
    string(
      'Why the version is not ready, CamelCase: PodsForbidden, Unschedulable, ImagePullFailed, ModelFetchFailed, ModelLoadFailed, ProgressDeadlineExceeded, or Progressing while it rolls out.',
      { maxLength: 1024 },
    ),
  ),
  message: optional(string('What the version is waiting for or what failed, naming the object and what to do.', { maxLength: 4096 })),
});

const status = object('Observed state, written by the operator.', {
  observedGeneration: optional(
    integer('The metadata.generation of this InferenceService that the status describes.', { format: 'int64', minimum: 0 }),
  ),
  conditions: optional(
    list(condition, 'kstatus conditions: Ready, Reconciling, Stalled.', { maxItems: 16, listType: 'map', mapKeys: ['type'] }),
  ),
  url: optional(string('Stable in-cluster URL of the weighted endpoint, e.g. http://fraud.ml.svc.cluster.local.', { maxLength: 2048 })),
  versions: optional(
    list(versionStatus, 'Per-version replicas, readiness and effective weight.', {
      maxItems: MAX_VERSIONS,
      listType: 'map',
      mapKeys: ['name'],
    }),
  ),
  trafficSummary: optional(
    string('Effective traffic split for kubectl get, e.g. v1=90,v2=10 (a mirror shows as v3=mirror:20).', { maxLength: 1024 }),
  ),
  rollout: optional(rolloutStatus),
});

const NAME_RULE = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

/** The whole InferenceService object, with the root-level rules that read metadata.name. */
export const inferenceServiceSchema = object(
  'InferenceService serves one ONNX model in one or more versions, with weighted traffic between them, behind a stable Service <name>. There is no scale subresource: each version scales on its own (a HorizontalPodAutoscaler or a fixed replica count per version), so the object has no single replica count.',
  {
    apiVersion: optional(string('API version of this object: serving.kubeinfer.io/v1alpha1.')),
    kind: optional(string('Kind of this object: InferenceService.')),
    // The apiserver owns metadata; a CRD may only bound name (which keeps CEL on it cheap).
    metadata: optional<Record<string, unknown>>({ node: { type: 'object', properties: { name: { type: 'string', maxLength: 253 } } } }),
    spec: required(spec),
    status: optional(status),
  },
  {
    rules: [
      {
        rule: `self.metadata.name.matches(${celString(NAME_RULE)})`,
        message:
          "metadata.name must start with a lowercase letter and contain only lowercase letters, digits and '-': it names a Service (an RFC 1035 label)",
      },
      {
        rule: `self.metadata.name.size() <= ${63 - ROUTER_SUFFIX.length}`,
        message: `metadata.name must be at most ${63 - ROUTER_SUFFIX.length} characters: the router is named <name>${ROUTER_SUFFIX}, and names are limited to 63`,
      },
      {
        rule: 'self.spec.versions.all(v, self.metadata.name.size() + 1 + v.name.size() <= 63)',
        message:
          "<metadata.name>-<version name> must be at most 63 characters (it names the version's Deployment and Service): shorten the InferenceService or version names",
        fieldPath: '.spec.versions',
      },
    ],
  },
);

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type PropertyOf<S, K extends string> = K extends keyof TypeOf<S> ? TypeOf<S>[K] : never;
/** Fails to compile when the schema and the hand-written types disagree. */
export const specMatchesTypes: Equals<Exclude<PropertyOf<typeof inferenceServiceSchema, 'spec'>, undefined>, InferenceServiceSpec> = true;
/** Fails to compile when the status schema and the hand-written types disagree. */
export const statusMatchesTypes: Equals<
  Exclude<PropertyOf<typeof inferenceServiceSchema, 'status'>, undefined>,
  InferenceServiceStatus
> = true;
