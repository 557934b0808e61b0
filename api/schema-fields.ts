// Reusable blocks of the InferenceService schema: the settings that appear both at
// spec level and as per-version overrides, plus GPU, scheduling and storage.
import type { V1Affinity, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { DNS_SUBDOMAIN } from './names.ts';
import {
  boolean,
  celString,
  enumeration,
  integer,
  intOrString,
  list,
  map,
  object,
  optional,
  passthrough,
  required,
  string,
} from './schema-builder.ts';

const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const QUANTITY = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
export const MIG_PROFILE = '^[1-7]g\\.[1-9][0-9]{0,2}gb$';

const quantities = (what: string) =>
  map(intOrString(`A Kubernetes quantity such as "500m", "2" or "4Gi".`, QUANTITY), what, { maxProperties: 16 });

/** Container compute resources (requests and limits). */
export const resources = object(
  "Compute resources for each model pod, as in a container's resources. GPUs are set with spec.gpu, not here.",
  {
    requests: optional(quantities('Minimum resources the scheduler reserves, e.g. {cpu: "1", memory: 2Gi}.')),
    limits: optional(quantities('Maximum resources the container may use, e.g. {memory: 4Gi}.')),
  },
  {
    rules: [
      {
        rule: "(!has(self.requests) || !('nvidia.com/gpu' in self.requests)) && (!has(self.limits) || !('nvidia.com/gpu' in self.limits))",
        message: 'set GPUs with spec.gpu (count, products, mig), not with resources: the operator adds nvidia.com/gpu itself',
      },
    ],
  },
);

/** ONNX Runtime session options, the same for every worker. */
const sessionOptions = object(
  "ONNX Runtime session options for every worker's session. Omitted fields use serve's defaults, chosen by measurement on CPU (see the README).",
  {
    intraOpThreads: optional(
      integer(
        'Threads each worker gives one operator (default 1: a core per worker beats threads competing with the HTTP thread); 0 shares the cores among the workers.',
        { minimum: 0, maximum: 1024 },
      ),
    ),
    interOpThreads: optional(
      integer('Threads each worker runs independent graph branches on, in parallel execution mode only (default 1).', {
        minimum: 1,
        maximum: 1024,
      }),
    ),
    executionMode: optional(
      enumeration(
        ['sequential', 'parallel'],
        'sequential (default) runs one node at a time; parallel runs independent branches at once, which helps only wide graphs.',
      ),
    ),
    graphOptimizationLevel: optional(
      enumeration(
        ['disabled', 'basic', 'extended', 'all'],
        'Graph optimisations applied at load (default all: constant folding, fusions and layout changes).',
      ),
    ),
    memoryArena: optional(
      boolean('CPU memory arena (default true): reuses allocations between runs; false returns memory at the cost of speed.'),
    ),
    memoryPattern: optional(boolean('Memory pattern planning (default true): pre-plans allocations for repeated input shapes.')),
    cacheOptimizedModel: optional(
      boolean(
        "Write the optimised graph to the pod's scratch volume at first load, so a restarted container skips optimisation (default false).",
      ),
    ),
  },
);

/** Model server settings. */
export const runtime = object(
  "Model server settings; each one maps to a KUBEINFER_* variable of `kubeinfer serve`. Omitted fields use the server's defaults.",
  {
    workers: optional(integer('Inference worker threads per pod, each holding its own ONNX Runtime session.', { minimum: 1, maximum: 64 })),
    batching: optional(
      object(
        'Dynamic batching for models whose first input dimension is dynamic: on by default (32 rows). A free worker takes every compatible queued request at once, so batches form only while all workers are busy and a lone request never waits.',
        {
          maxBatchSize: optional(
            integer('Largest batch the server forms from queued requests (default 32); 1 disables batching.', {
              minimum: 1,
              maximum: 65536,
            }),
          ),
          preferredBatchSize: optional(
            integer(
              'Rows worth waiting for (Triton preferred_batch_size): a smaller batch waits up to maxQueueDelayMicros for more requests even when a worker is free. Default: never wait.',
              { minimum: 1, maximum: 65536 },
            ),
          ),
          maxQueueDelayMicros: optional(
            integer('Longest a batch smaller than preferredBatchSize waits for more requests, in microseconds; no effect without it.', {
              minimum: 0,
              maximum: 60000000,
            }),
          ),
        },
        {
          rules: [
            {
              rule: '!has(self.preferredBatchSize) || !has(self.maxBatchSize) || self.preferredBatchSize <= self.maxBatchSize',
              message: 'preferredBatchSize cannot exceed maxBatchSize: no batch grows past maxBatchSize',
            },
          ],
        },
      ),
    ),
    session: optional(sessionOptions),
    maxQueueSize: optional(
      integer('Requests waiting for a worker beyond which the server sheds load with HTTP 503.', { minimum: 1, maximum: 1000000 }),
    ),
    maxRequestBytes: optional(
      integer('Largest request body the server accepts (HTTP 413 beyond it).', { minimum: 1, maximum: 4294967296, format: 'int64' }),
    ),
    maxBodyBytesInFlight: optional(
      integer(
        'Request-body bytes the server admits at once; beyond it new requests get HTTP 503 with Retry-After before their bodies are read. Default: an eighth of the container memory limit (256 MiB without one).',
        { minimum: 1, maximum: 1099511627776, format: 'int64' },
      ),
    ),
    executionProvider: optional(
      enumeration(
        ['cpu', 'cuda'],
        'ONNX Runtime execution provider. cuda needs spec.gpu; the default is cuda when spec.gpu is set, else cpu.',
      ),
    ),
  },
);

const scalingRules = (direction: string) =>
  object(`How the HorizontalPodAutoscaler scales ${direction} (autoscaling/v2 HPAScalingRules).`, {
    stabilizationWindowSeconds: optional(
      integer('Seconds of past recommendations considered before scaling, to avoid flapping.', { minimum: 0, maximum: 3600 }),
    ),
    selectPolicy: optional(
      enumeration(['Max', 'Min', 'Disabled'], 'Which policy wins when several apply; Disabled turns this direction off.'),
    ),
    policies: optional(
      list(
        object('One scaling policy: change at most `value` pods (or percent) per `periodSeconds`.', {
          type: required(enumeration(['Pods', 'Percent'], 'Whether value counts pods or a percent of current replicas.')),
          value: required(integer('Pods or percent allowed to change per period.', { minimum: 1 })),
          periodSeconds: required(integer('Length of the window the policy applies to, in seconds.', { minimum: 1, maximum: 1800 })),
        }),
        'Scaling policies; selectPolicy chooses among them.',
        { maxItems: 10, listType: 'atomic' },
      ),
    ),
  });

/** HorizontalPodAutoscaler settings for one version's Deployment. */
export const autoscaling = object(
  'Horizontal autoscaling: one HorizontalPodAutoscaler per version. Mutually exclusive with replicas at the same level.',
  {
    minReplicas: optional(integer('Fewest pods per version.', { minimum: 1, maximum: 1000, default: 1 })),
    maxReplicas: required(integer('Most pods per version.', { minimum: 1, maximum: 1000 })),
    metric: optional(
      enumeration(
        ['cpu', 'concurrency'],
        'What the HPA tracks: cpu (average utilization, percent of requested CPU) or concurrency (average in-flight requests per pod, a Pods metric).',
        { default: 'cpu' },
      ),
    ),
    target: optional(
      integer('Target value of the metric: percent for cpu (default 80), in-flight requests per pod for concurrency (default 8).', {
        minimum: 1,
        maximum: 100000,
      }),
    ),
    engine: optional(
      enumeration(
        ['hpa', 'keda'],
        'Who scales: hpa (a HorizontalPodAutoscaler; concurrency needs a custom-metrics adapter such as prometheus-adapter) or keda (a KEDA ScaledObject; concurrency is read from Prometheus by its prometheus trigger).',
        { default: 'hpa' },
      ),
    ),
    behavior: optional(
      object(
        "HPA scaling behavior, passed through unchanged (to the HorizontalPodAutoscaler, or to the ScaledObject's advanced.horizontalPodAutoscalerConfig).",
        {
          scaleUp: optional(scalingRules('up')),
          scaleDown: optional(scalingRules('down')),
        },
      ),
    ),
  },
  {
    rules: [
      {
        rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas',
        message: 'autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas',
        fieldPath: '.minReplicas',
      },
    ],
  },
);

/** GPU requirements of every model pod. */
export const gpu = object(
  'GPUs for every model pod: the operator sets the nvidia.com/gpu (or nvidia.com/mig-<profile>) limit, node affinity on the GPU Feature Discovery labels and a toleration for the nvidia.com/gpu taint.',
  {
    count: optional(
      integer('GPUs per pod, or MIG slices per pod when mig is set. 0 means no GPU.', { minimum: 0, maximum: 16, default: 1 }),
    ),
    products: optional(
      list(
        string('A GPU product as in the node label nvidia.com/gpu.product, e.g. NVIDIA-A100-SXM4-80GB or Tesla-T4.', {
          pattern: LABEL_VALUE,
          maxLength: 63,
        }),
        'Acceptable GPU products; pods only run on nodes whose nvidia.com/gpu.product is one of them.',
        { minItems: 1, maxItems: 16, listType: 'set' },
      ),
    ),
    memoryMiB: optional(
      integer('Minimum memory per GPU in MiB, matched against the node label nvidia.com/gpu.memory.', { minimum: 1, maximum: 1048576 }),
    ),
    mig: optional(
      string('A MIG profile such as 1g.10gb; pods request nvidia.com/mig-<profile> (mixed MIG strategy) instead of whole GPUs.', {
        maxLength: 16,
        rules: [
          {
            rule: `self.matches(${celString(MIG_PROFILE)})`,
            message: 'gpu.mig must be a MIG profile like 1g.10gb, 2g.20gb or 3g.40gb (<compute slices>g.<memory GB>gb)',
          },
        ],
      }),
    ),
  },
  {
    rules: [
      {
        rule: '!has(self.count) || self.count > 0 || (!has(self.products) && !has(self.memoryMiB) && !has(self.mig))',
        message: 'gpu.count must be at least 1 when gpu.products, gpu.memoryMiB or gpu.mig is set',
        fieldPath: '.count',
      },
      {
        rule: '!has(self.mig) || !has(self.memoryMiB)',
        message: 'gpu.memoryMiB cannot be combined with gpu.mig: the MIG profile fixes the memory of each slice',
        fieldPath: '.memoryMiB',
      },
      {
        rule: '!has(self.mig) || !has(self.count) || self.count <= 7',
        message: 'with gpu.mig, gpu.count is the number of MIG slices per pod and must be at most 7',
        fieldPath: '.count',
      },
    ],
  },
);

const toleration = object(
  'A toleration, as in a Pod spec.',
  {
    key: optional(string('The taint key to tolerate; empty with operator Exists tolerates every taint.', { maxLength: 316 })),
    operator: optional(enumeration(['Exists', 'Equal'], 'Exists matches any value; Equal (the default) matches value.')),
    value: optional(string('The taint value to match with operator Equal.', { maxLength: 63 })),
    effect: optional(
      enumeration(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], 'The taint effect to tolerate; empty matches all effects.'),
    ),
    tolerationSeconds: optional(
      integer('With NoExecute, how long the pod stays bound after the taint appears.', { format: 'int64', minimum: 0 }),
    ),
  },
  {
    rules: [
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: 'a toleration with operator Exists must not have a value',
      },
      {
        rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
        message: 'a toleration without a key must have operator Exists',
      },
    ],
  },
);

/** Pod placement passed to every model pod. */
export const scheduling = object('Pod placement for every model pod, passed through to the pod spec.', {
  nodeSelector: optional(
    map(string('A node label value.', { maxLength: 63 }), "Node labels a pod's node must carry.", { maxProperties: 32 }),
  ),
  tolerations: optional(
    list(toleration, 'Tolerations added to the pods (GPU pods also get nvidia.com/gpu automatically).', {
      maxItems: 32,
      listType: 'atomic',
    }),
  ),
  affinity: optional(
    passthrough<V1Affinity>(
      'Pod affinity rules (core/v1 Affinity). Node affinity terms are combined with the GPU terms the operator adds.',
    ),
  ),
  priorityClassName: optional(string('PriorityClass of the model pods.', { pattern: DNS_SUBDOMAIN, maxLength: 253 })),
});

/** Model storage credentials. */
export const storage = object('Model storage credentials for fetch-model.', {
  secretRef: optional(
    object(
      'A Secret in this namespace mounted into the fetch-model init container; keys are read like environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, HTTP_BEARER_TOKEN, service-account.json, ...).',
      { name: required(string('Name of the Secret.', { pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 })) },
    ),
  ),
});

/** Who may call the model, checked by the router. */
export const auth = object(
  'Authentication and authorization of inference calls, enforced by the router. Health endpoints stay open; credentials are never forwarded to the versions or the mirror; the router logs one audit line per request.',
  {
    mode: required(
      enumeration(
        ['kubernetes', 'apiKey'],
        'kubernetes: callers send a Kubernetes bearer token, checked with a TokenReview and a SubjectAccessReview for the verb infer on this InferenceService (plus pin for a weight-0 version). apiKey: callers send a key from secretRef as Authorization: Bearer <key> or x-api-key: <key>.',
      ),
    ),
    secretRef: optional(
      object(
        'The Secret holding the API keys (mode apiKey), one key per data entry; the entry name identifies the key in audit lines. Mounted into the router; rotation applies without restarts.',
        {
          name: required(string('Name of the Secret.', { pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 })),
        },
      ),
    ),
    protectMetrics: optional(
      boolean("Require the same credentials for the router's /metrics (kubernetes: get on the non-resource URL /metrics)."),
    ),
  },
  {
    rules: [
      {
        rule: "self.mode != 'apiKey' || has(self.secretRef)",
        message: 'spec.auth.mode apiKey needs spec.auth.secretRef naming the Secret that holds the keys',
        fieldPath: '.secretRef',
      },
    ],
  },
);

/** Network isolation of the model pods. */
export const networkPolicy = object(
  "A NetworkPolicy <name> that lets the model pods accept traffic only from this InferenceService's router (and from allowFrom). On by default; it takes effect where the cluster's network plugin enforces NetworkPolicies. Kubelet probes are not affected.",
  {
    enabled: optional(boolean('Create the NetworkPolicy. Default true.')),
    allowFrom: optional(
      list(
        passthrough<V1NetworkPolicyPeer>(
          'A NetworkPolicy peer (networking/v1 NetworkPolicyPeer), e.g. {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}} for Prometheus scraping.',
        ),
        "More peers allowed to reach the model pods' http port (metrics scrapers, a custom-metrics adapter).",
        {
          maxItems: 16,
          listType: 'atomic',
        },
      ),
    ),
  },
);

/** Router pods unless spec.router.replicas says otherwise: two, so one can be drained or rolled while the other serves. */
export const DEFAULT_ROUTER_REPLICAS = 2;

/** The weighted router Deployment. */
export const router = object(
  'The weighted router Deployment behind the stable Service <name>.',
  {
    replicas: optional(
      integer('Router pods, spread across nodes where possible; a PodDisruptionBudget lets voluntary disruptions take one at a time.', {
        minimum: 1,
        maximum: 100,
        default: DEFAULT_ROUTER_REPLICAS,
      }),
    ),
    resources: optional(resources),
  },
  { default: {} },
);
