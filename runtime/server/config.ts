// `kubeinfer serve` settings: each a CLI flag and a KUBEINFER_* environment variable (the
// operator sets the variables); a flag wins over the variable, the variable over the default.
import { LABELS_PATH_ENV, parseRuntimePipeline, PIPELINE_ENV, type RuntimePipeline } from '../../api/pipeline.ts';
import type { ExecutionProvider } from '../engine/messages.ts';

export interface ServeConfig {
  readonly modelPath: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly host: string | undefined;
  readonly port: number;
  /** 0 when gRPC is off. */
  readonly grpcPort: number;
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly maxBatchSize: number;
  readonly maxQueueDelayMicros: number;
  readonly maxQueueSize: number;
  readonly maxRequestBytes: number;
  readonly executionProvider: ExecutionProvider;
  readonly drainTimeoutSeconds: number;
  /** Keys required from callers (file or mounted Secret directory); unset: open, as behind the router. */
  readonly apiKeysFile?: string;
  /** Labels file for the classification extension (one label per line). */
  readonly labelsPath: string | undefined;
  /** Steps around the model (parsed from JSON). */
  readonly pipeline: RuntimePipeline;
}

interface Setting {
  readonly key: keyof ServeConfig;
  readonly flag: string;
  readonly env: string;
  readonly description: string;
  readonly integer?: readonly [number, number];
  readonly default?: string;
}

const MAX_INT = Number.MAX_SAFE_INTEGER;

/** Every setting, in the order `--help` lists them. */
export const SERVE_SETTINGS: readonly Setting[] = [
  { key: 'modelPath', flag: 'model', env: 'KUBEINFER_MODEL_PATH', description: 'ONNX model file' },
  { key: 'modelName', flag: 'name', env: 'KUBEINFER_MODEL_NAME', description: 'model name in URLs and responses' },
  { key: 'modelVersion', flag: 'model-version', env: 'KUBEINFER_MODEL_VERSION', description: 'model version served', default: '1' },
  { key: 'host', flag: 'host', env: 'KUBEINFER_HOST', description: 'address to listen on (default: all interfaces)' },
  { key: 'port', flag: 'port', env: 'KUBEINFER_PORT', description: 'port to listen on (0 picks a free one)', integer: [0, 65535], default: '8080' },
  { key: 'grpcPort', flag: 'grpc-port', env: 'KUBEINFER_GRPC_PORT', description: 'port of the gRPC service (0: off)', integer: [0, 65535], default: '8081' },
  { key: 'workers', flag: 'workers', env: 'KUBEINFER_WORKERS', description: 'inference worker threads, one model session each', integer: [1, 256], default: '1' },
  { key: 'intraOpThreads', flag: 'intra-op-threads', env: 'KUBEINFER_INTRA_OP_THREADS', description: 'onnxruntime threads per worker (0: cores / workers)', integer: [0, 1024], default: '0' },
  { key: 'maxBatchSize', flag: 'max-batch-size', env: 'KUBEINFER_MAX_BATCH_SIZE', description: 'dynamic batching: most rows per execution (0 or 1: off)', integer: [0, 1 << 20], default: '0' },
  { key: 'maxQueueDelayMicros', flag: 'max-queue-delay-micros', env: 'KUBEINFER_MAX_QUEUE_DELAY_MICROS', description: 'dynamic batching: longest wait for a fuller batch', integer: [0, 60_000_000], default: '0' },
  { key: 'maxQueueSize', flag: 'max-queue-size', env: 'KUBEINFER_MAX_QUEUE_SIZE', description: 'queued requests before answering 503', integer: [1, 1 << 24], default: '1024' },
  { key: 'maxRequestBytes', flag: 'max-request-bytes', env: 'KUBEINFER_MAX_REQUEST_BYTES', description: 'largest request body (or gRPC message) before answering 413 (RESOURCE_EXHAUSTED)', integer: [1, MAX_INT], default: String(64 * 1024 * 1024) },
  { key: 'executionProvider', flag: 'execution-provider', env: 'KUBEINFER_EXECUTION_PROVIDER', description: 'cpu or cuda', default: 'cpu' },
  { key: 'apiKeysFile', flag: 'api-keys-file', env: 'KUBEINFER_API_KEYS_FILE', description: 'require an API key when serve is called directly: a file with one key per line (# comments) or a mounted Secret directory' },
  { key: 'labelsPath', flag: 'labels', env: LABELS_PATH_ENV, description: 'labels file for classification results, one label per line' },
  { key: 'pipeline', flag: 'pipeline', env: PIPELINE_ENV, description: 'JSON {"preprocess": [...], "postprocess": [...]}: steps around the model ({"model": "<path>"} or {"image": {...}})' },
  { key: 'drainTimeoutSeconds', flag: 'drain-timeout-seconds', env: 'KUBEINFER_DRAIN_TIMEOUT_SECONDS', description: 'on SIGTERM, longest wait for in-flight requests', integer: [0, 3600], default: '25' },
];

/** commander's camelCase property name for a flag. */
export function flagProperty(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export type ConfigResult = { readonly ok: true; readonly config: ServeConfig } | { readonly ok: false; readonly problems: readonly string[] };

function resolveOne(setting: Setting, raw: string | undefined, problems: string[]): string | number | undefined {
  const source = `--${setting.flag} / ${setting.env}`;
  if (raw === undefined || raw === '') {
    if (setting.default === undefined && (setting.key === 'modelPath' || setting.key === 'modelName')) problems.push(`${source} is required`);
    raw = setting.default;
    if (raw === undefined) return undefined;
  }
  if (setting.integer === undefined) return raw;
  const value = Number(raw);
  const [min, max] = setting.integer;
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    problems.push(`${source} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

/** Resolves flags (commander's parsed options) over environment variables over defaults. */
export function resolveServeConfig(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): ConfigResult {
  const problems: string[] = [];
  const values: Record<string, string | number | undefined> = {};
  for (const setting of SERVE_SETTINGS) {
    const flag = flags[flagProperty(setting.flag)];
    values[setting.key] = resolveOne(setting, typeof flag === 'string' ? flag : env[setting.env], problems);
  }
  if (values.executionProvider !== 'cpu' && values.executionProvider !== 'cuda') {
    problems.push(`--execution-provider / KUBEINFER_EXECUTION_PROVIDER must be cpu or cuda, got '${values.executionProvider}'`);
  }
  const pipeline = parseRuntimePipeline(values.pipeline as string | undefined);
  if (!pipeline.ok) problems.push(`--pipeline / KUBEINFER_PIPELINE: ${pipeline.message}`);
  if (problems.length > 0 || !pipeline.ok) return { ok: false, problems };
  return { ok: true, config: { ...values, pipeline: pipeline.value } as unknown as ServeConfig };
}
