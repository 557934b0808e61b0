// `kubeinfer serve` settings: each a CLI flag and a KUBEINFER_* environment variable. The
// operator and local mode set the variables from a version's resolved spec.runtime; serve
// reads them (a flag wins over the variable, the variable over the default). This table is
// the one list of them: names, flags, ranges, defaults and which spec field feeds each.
import type { ResolvedVersion } from '../api/index.ts';
import type { RuntimePipeline } from '../api/pipeline.ts';
import { OTLP_ENDPOINT } from './tracing.ts';

/** The shape of one setting; `specField` is its path under spec.runtime, when the spec carries it. */
interface SettingShape {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly description: string;
  readonly integer?: readonly [number, number];
  readonly choices?: readonly string[];
  readonly default?: string;
  readonly required?: true;
  readonly specField?: string;
  /** For a boolean spec field: the value to set when it is true (nothing is set when false). */
  readonly whenTrue?: string;
  /** The value is JSON in this format (parsed by serve, always present once parsed). */
  readonly format?: 'pipeline';
}

const MAX_INT = Number.MAX_SAFE_INTEGER;

/**
 * Batching is on by default: a batch forms only from requests already queued behind busy
 * workers, so it costs a lone request nothing and multiplies throughput under load.
 */
export const DEFAULT_MAX_BATCH_SIZE = 32;

/**
 * Where `cacheOptimizedModel` keeps optimised graphs: the model pod's writable /tmp volume (an
 * emptyDir, kept across container restarts), or the host's temporary directory in local mode.
 */
export const OPTIMIZED_MODEL_CACHE_DIR = '/tmp/kubeinfer-optimized-models';

/** Every setting, in the order `--help` lists them and builders emit them. */
export const SERVE_SETTINGS = [
  { key: 'modelPath', flag: 'model', env: 'KUBEINFER_MODEL_PATH', description: 'ONNX model file', required: true },
  { key: 'modelName', flag: 'name', env: 'KUBEINFER_MODEL_NAME', description: 'model name in URLs and responses', required: true },
  { key: 'modelVersion', flag: 'model-version', env: 'KUBEINFER_MODEL_VERSION', description: 'model version served', default: '1' },
  { key: 'host', flag: 'host', env: 'KUBEINFER_HOST', description: 'address to listen on (default: all interfaces)' },
  {
    key: 'port',
    flag: 'port',
    env: 'KUBEINFER_PORT',
    description: 'port to listen on (0 picks a free one)',
    integer: [0, 65535],
    default: '8080',
  },
  {
    key: 'grpcPort',
    flag: 'grpc-port',
    env: 'KUBEINFER_GRPC_PORT',
    description: 'port of the gRPC service (0: off)',
    integer: [0, 65535],
    default: '8081',
  },
  {
    key: 'workers',
    flag: 'workers',
    env: 'KUBEINFER_WORKERS',
    description: 'inference worker threads, one model session each',
    integer: [1, 256],
    default: '1',
    specField: 'workers',
  },
  {
    key: 'intraOpThreads',
    flag: 'intra-op-threads',
    env: 'KUBEINFER_INTRA_OP_THREADS',
    description: 'onnxruntime threads per worker (0: cores / workers); one per worker measured fastest under load',
    integer: [0, 1024],
    default: '1',
    specField: 'session.intraOpThreads',
  },
  {
    key: 'interOpThreads',
    flag: 'inter-op-threads',
    env: 'KUBEINFER_INTER_OP_THREADS',
    description: 'onnxruntime threads per worker running independent nodes at once (parallel execution mode only)',
    integer: [1, 1024],
    default: '1',
    specField: 'session.interOpThreads',
  },
  {
    key: 'executionMode',
    flag: 'execution-mode',
    env: 'KUBEINFER_EXECUTION_MODE',
    description: 'onnxruntime execution mode: sequential, or parallel for graphs with independent branches',
    choices: ['sequential', 'parallel'],
    default: 'sequential',
    specField: 'session.executionMode',
  },
  {
    key: 'graphOptimizationLevel',
    flag: 'graph-optimization-level',
    env: 'KUBEINFER_GRAPH_OPTIMIZATION_LEVEL',
    description: 'onnxruntime graph optimisations applied at load',
    choices: ['disabled', 'basic', 'extended', 'all'],
    default: 'all',
    specField: 'session.graphOptimizationLevel',
  },
  {
    key: 'memoryArena',
    flag: 'memory-arena',
    env: 'KUBEINFER_MEMORY_ARENA',
    description: "onnxruntime's CPU memory arena: reuses allocations, keeps peak memory reserved",
    choices: ['true', 'false'],
    default: 'true',
    specField: 'session.memoryArena',
  },
  {
    key: 'memoryPattern',
    flag: 'memory-pattern',
    env: 'KUBEINFER_MEMORY_PATTERN',
    description: "onnxruntime's memory pattern: plans allocations from earlier runs of the same shapes",
    choices: ['true', 'false'],
    default: 'true',
    specField: 'session.memoryPattern',
  },
  {
    key: 'optimizedModelCache',
    flag: 'optimized-model-cache',
    env: 'KUBEINFER_OPTIMIZED_MODEL_CACHE',
    description:
      'directory where the optimised graph is written at first load and reused by later starts (default: optimise at every start)',
    specField: 'session.cacheOptimizedModel',
    whenTrue: OPTIMIZED_MODEL_CACHE_DIR,
  },
  {
    key: 'maxBatchSize',
    flag: 'max-batch-size',
    env: 'KUBEINFER_MAX_BATCH_SIZE',
    description:
      'dynamic batching, for models with a dynamic first dimension: most rows per execution (0 or 1: off); requests are batched only while every worker is busy',
    integer: [0, 1 << 20],
    default: String(DEFAULT_MAX_BATCH_SIZE),
    specField: 'batching.maxBatchSize',
  },
  {
    key: 'preferredBatchSize',
    flag: 'preferred-batch-size',
    env: 'KUBEINFER_PREFERRED_BATCH_SIZE',
    description:
      'dynamic batching: rows worth waiting for, up to the max queue delay, even with a worker free (0: never wait; capped at the max batch size)',
    integer: [0, 1 << 20],
    default: '0',
    specField: 'batching.preferredBatchSize',
  },
  {
    key: 'maxQueueDelayMicros',
    flag: 'max-queue-delay-micros',
    env: 'KUBEINFER_MAX_QUEUE_DELAY_MICROS',
    description: 'dynamic batching: longest wait for a preferred batch size (no effect without one)',
    integer: [0, 60_000_000],
    default: '0',
    specField: 'batching.maxQueueDelayMicros',
  },
  {
    key: 'maxQueueSize',
    flag: 'max-queue-size',
    env: 'KUBEINFER_MAX_QUEUE_SIZE',
    description: 'queued requests before answering 503',
    integer: [1, 1 << 24],
    default: '1024',
    specField: 'maxQueueSize',
  },
  {
    key: 'maxRequestBytes',
    flag: 'max-request-bytes',
    env: 'KUBEINFER_MAX_REQUEST_BYTES',
    description: 'largest request body (or gRPC message) before answering 413 (RESOURCE_EXHAUSTED)',
    integer: [1, MAX_INT],
    default: String(64 * 1024 * 1024),
    specField: 'maxRequestBytes',
  },
  {
    key: 'executionProvider',
    flag: 'execution-provider',
    env: 'KUBEINFER_EXECUTION_PROVIDER',
    description: 'cpu or cuda',
    choices: ['cpu', 'cuda'],
    default: 'cpu',
    specField: 'executionProvider',
  },
  {
    key: 'labelsPath',
    flag: 'labels',
    env: 'KUBEINFER_LABELS_PATH',
    description: 'labels file for classification results, one label per line',
  },
  {
    key: 'pipeline',
    flag: 'pipeline',
    env: 'KUBEINFER_PIPELINE',
    description: 'JSON {"preprocess": [...], "postprocess": [...]}: steps around the model ({"model": "<path>"} or {"image": {...}})',
    format: 'pipeline',
  },
  {
    key: 'maxBodyBytesInFlight',
    flag: 'max-body-bytes-in-flight',
    env: 'KUBEINFER_MAX_BODY_BYTES_IN_FLIGHT',
    description:
      'request body bytes admitted at once before answering 503 (default: an eighth of the container memory limit, else 256 MiB)',
    integer: [1, MAX_INT],
    specField: 'maxBodyBytesInFlight',
  },
  {
    key: 'maxJsonBytes',
    flag: 'max-json-bytes',
    env: 'KUBEINFER_MAX_JSON_BYTES',
    description: 'largest JSON request (or JSON header) before answering 413; send bigger tensors as binary data',
    integer: [1, MAX_INT],
    default: String(16 * 1024 * 1024),
  },
  {
    key: 'shutdownDelayMs',
    flag: 'shutdown-delay-ms',
    env: 'KUBEINFER_SHUTDOWN_DELAY_MS',
    description: 'on SIGTERM, keep serving (not ready) this long so endpoints stop sending first',
    integer: [0, 600_000],
    default: '5000',
  },
  {
    key: 'apiKeysFile',
    flag: 'api-keys-file',
    env: 'KUBEINFER_API_KEYS_FILE',
    description:
      'require an API key when serve is called directly: a file with one key per line (# comments) or a mounted Secret directory',
  },
  {
    key: 'drainTimeoutSeconds',
    flag: 'drain-timeout-seconds',
    env: 'KUBEINFER_DRAIN_TIMEOUT_SECONDS',
    description: 'on SIGTERM, after the shutdown delay, longest wait for in-flight requests',
    integer: [0, 3600],
    default: '25',
  },
  {
    key: 'headersTimeoutMs',
    flag: 'headers-timeout-ms',
    env: 'KUBEINFER_HEADERS_TIMEOUT_MS',
    description: "longest wait for a request's headers",
    integer: [1, 3_600_000],
    default: '10000',
  },
  {
    key: 'requestTimeoutMs',
    flag: 'request-timeout-ms',
    env: 'KUBEINFER_REQUEST_TIMEOUT_MS',
    description: 'longest wait for a whole request (headers and body) to arrive (408 after)',
    integer: [1, 3_600_000],
    default: '60000',
  },
  {
    key: 'keepAliveTimeoutMs',
    flag: 'keep-alive-timeout-ms',
    env: 'KUBEINFER_KEEP_ALIVE_TIMEOUT_MS',
    description: 'idle keep-alive connections are closed after this long',
    integer: [1, 3_600_000],
    default: '65000',
  },
  {
    key: 'requestDeadlineMs',
    flag: 'request-deadline-ms',
    env: 'KUBEINFER_REQUEST_DEADLINE_MS',
    description: 'longest an admitted inference request may queue and run before 504',
    integer: [1, 3_600_000],
    default: '60000',
  },
  { key: 'otlpEndpoint', ...OTLP_ENDPOINT },
] as const satisfies readonly SettingShape[];

export type ServeSetting = (typeof SERVE_SETTINGS)[number];
export type ServeKey = ServeSetting['key'];

type SettingValue<S> = S extends { readonly integer: unknown } ? number : S extends { readonly choices: readonly (infer C)[] } ? C : string;
type Resolved<S> = S extends { readonly format: 'pipeline' }
  ? RuntimePipeline
  : S extends { readonly default: string } | { readonly required: true }
    ? SettingValue<S>
    : SettingValue<S> | undefined;

/** The resolved settings of one `kubeinfer serve`, derived from the table. */
export type ServeConfig = { readonly [S in ServeSetting as S['key']]: Resolved<S> };

/** Values to hand to `kubeinfer serve`, by setting; unset ones are left out of the environment. */
export type ServeValues = { readonly [K in ServeKey]?: string | number };

/** The `KUBEINFER_*` variables for the given values, as a record (local mode's child environment). */
export function serveEnvRecord(values: ServeValues): Record<string, string> {
  return Object.fromEntries(serveEnv(values).map((variable) => [variable.name, variable.value]));
}

/** The `KUBEINFER_*` variables for the given values, in table order. */
export function serveEnv(values: ServeValues): { name: string; value: string }[] {
  return SERVE_SETTINGS.flatMap((setting) => {
    const value = values[setting.key];
    return value === undefined ? [] : [{ name: setting.env, value: String(value) }];
  });
}

/** The settings a version's resolved spec.runtime carries, read through each setting's `specField`. */
export function versionServeValues(runtime: ResolvedVersion['runtime']): ServeValues {
  const values: Partial<Record<ServeKey, string | number>> = {};
  for (const setting of SERVE_SETTINGS) {
    if (!('specField' in setting)) continue;
    const value = setting.specField
      .split('.')
      .reduce<unknown>((node, field) => (node as Record<string, unknown> | undefined)?.[field], runtime);
    if (typeof value === 'number' || typeof value === 'string') values[setting.key] = value;
    else if (typeof value === 'boolean' && 'whenTrue' in setting) {
      if (value) values[setting.key] = setting.whenTrue;
    } else if (typeof value === 'boolean') values[setting.key] = String(value);
  }
  return values;
}
