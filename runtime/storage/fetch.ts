// fetchModel: URI -> `<destDir>/model.onnx` (+ external data), complete and verified,
// or a ModelFetchError and nothing that looks like a model.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { redactUri } from '../../api/redact.ts';
import { loadCredentials } from './credentials.ts';
import { fail, formatBytes, ModelFetchError, ok, type Result } from './errors.ts';
import { knownTotal } from './layout.ts';
import { startProgress, type LogEvent } from './progress.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { planGcs } from './sources/gcs.ts';
import { planHttp } from './sources/http.ts';
import { egressPolicy, type EgressPolicy } from './sources/egress.ts';
import { checkOnnxModelFile } from './onnx-check.ts';
import { locateInPlace, planFileCopy, type InPlaceModel } from './sources/local.ts';
import { planS3 } from './sources/s3.ts';
import type { FetchPlan, SourceContext } from './sources/source.ts';
import { createStaging, discard, publish } from './staging.ts';
import { transferAll } from './transfer.ts';
import { CREDENTIALS_DIR, MODEL_FILE, parseModelUri, pvcMount, type ModelSource } from '../../contracts/index.ts';

export const DEFAULT_MAX_BYTES = 20 * 1024 ** 3;

/** What to fetch and where; only `uri` and `destDir` are required. */
export interface FetchModelOptions {
  readonly uri: string;
  readonly destDir: string;
  /** Expected sha256 (hex) of the model file; verified before the model is published. */
  readonly sha256?: string | undefined;
  readonly credentialsDir?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (event: LogEvent) => void;
  readonly signal?: AbortSignal;
  /** file:// only: verify and use the model where it lies instead of copying it. */
  readonly inPlace?: boolean;
  /** Directory that relative file:// paths resolve against (default: the working directory). */
  readonly baseDir?: string;
  /** The URI names one file (any extension), published under this name instead of model.onnx. */
  readonly fileName?: string | undefined;
  /** Upper bound on all bytes fetched (default 20 GiB). */
  readonly maxBytes?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Give up on a connection that delivers nothing for this long (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** At most one progress line per interval (default 5 s). */
  readonly progressIntervalMs?: number;
  /** What requests may do beyond the strict default (cross-host redirects, link-local addresses, credentials over plain http). */
  readonly egress?: Partial<EgressPolicy>;
}

/** The fetched model: the file to load, every file (relative to its directory), total bytes. */
export interface FetchedModel {
  readonly modelPath: string;
  readonly files: string[];
  readonly bytes: number;
}

/** Fetches a model URI into `destDir`; rejects with a ModelFetchError. */
export async function fetchModel(options: FetchModelOptions): Promise<FetchedModel> {
  const result = await fetchModelResult(options);
  if (!result.ok) throw new ModelFetchError(redactUri(options.uri), result.problem);
  return result.value;
}

async function fetchModelResult(options: FetchModelOptions): Promise<Result<FetchedModel>> {
  const checked = checkOptions(options);
  if (!checked.ok) return checked;
  const source = parseModelUri(options.uri, options.baseDir);
  if (!source.ok) return source;
  if (source.value.scheme === 'pvc') {
    return verifyInPlace(path.join(options.destDir, pvcMount(source.value).modelFile), options);
  }
  if (source.value.scheme === 'file' && options.inPlace) return verifyInPlace(source.value.path, options);
  const log = options.log ?? (() => undefined);
  const context: SourceContext = {
    uri: redactUri(options.uri),
    credentials: await loadCredentials(options.credentialsDir ?? CREDENTIALS_DIR, options.env ?? process.env),
    retry: { ...DEFAULT_RETRY, ...options.retry },
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    log,
    signal: options.signal,
    egress: egressPolicy(options.egress),
    singleFile: options.fileName !== undefined,
  };
  const plan = await planSource(source.value, context);
  if (!plan.ok) return plan;
  const named = options.fileName === undefined ? plan : renamed(plan.value, options.fileName, context.uri);
  if (!named.ok) return named;
  return download(named.value, context, options);
}

/** A one-file plan published under `fileName` (a directory is refused: the name is for one file). */
function renamed(plan: FetchPlan, fileName: string, uri: string): Result<FetchPlan> {
  if (plan.files.length !== 1)
    return fail({ kind: 'InvalidArgument', reason: `${uri} holds ${plan.files.length} files; a named file must be one object` });
  return ok({ ...plan, files: [{ ...plan.files[0]!, target: fileName }] });
}

function checkOptions(options: FetchModelOptions): Result<void> {
  if (options.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(options.sha256)) {
    return fail({ kind: 'InvalidArgument', reason: 'sha256 must be 64 hexadecimal characters' });
  }
  if (options.fileName !== undefined && (options.fileName.includes('/') || options.fileName === '' || options.fileName.startsWith('.'))) {
    return fail({ kind: 'InvalidArgument', reason: 'the file name must be a plain name without "/" that does not start with "."' });
  }
  if (options.maxBytes !== undefined && !(options.maxBytes > 0)) {
    return fail({ kind: 'InvalidArgument', reason: 'the size limit must be a positive number of bytes' });
  }
  return ok(undefined);
}

function planSource(source: ModelSource, context: SourceContext): Promise<Result<FetchPlan>> | Result<FetchPlan> {
  switch (source.scheme) {
    case 'http':
      return planHttp(source, context);
    case 's3':
      return planS3(source, context);
    case 'gs':
      return planGcs(source, context);
    case 'file':
      return planFileCopy(source);
    case 'pvc':
      return fail({ kind: 'InvalidUri', reason: 'pvc:// models are mounted, not downloaded' });
  }
}

async function download(plan: FetchPlan, context: SourceContext, options: FetchModelOptions): Promise<Result<FetchedModel>> {
  const limitBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const total = knownTotal(plan.files);
  if (total !== null && total > limitBytes) {
    return fail({ kind: 'TooLarge', limitBytes, reason: `the model (${plan.files.length} file(s), ${formatBytes(total)})` });
  }
  const staging = await createStaging(options.destDir);
  if (!staging.ok) return staging;
  context.log({
    level: 'info',
    msg: 'fetch-model start',
    uri: context.uri,
    files: plan.files.length,
    total,
    credentials: plan.credentials,
  });
  const progress = startProgress({ uri: context.uri, total, intervalMs: options.progressIntervalMs ?? 5000, log: context.log });
  const transferred = await transferAll(plan.files, {
    stagingDir: staging.value,
    limitBytes,
    idleTimeoutMs: context.idleTimeoutMs,
    retry: context.retry,
    hashModel: options.sha256 !== undefined,
    primaryTarget: options.fileName ?? MODEL_FILE,
    progress,
    log: context.log,
    signal: options.signal,
  });
  const modelTarget = plan.files.at(-1)?.target;
  if (modelTarget === undefined) return fail({ kind: 'NotFound', reason: `${context.uri} holds no files` });
  const verified = transferred.ok
    ? await checkTransferred(options.sha256, transferred.value.sha256, path.join(staging.value, modelTarget), context.uri)
    : transferred;
  if (!verified.ok) {
    await discard(staging.value);
    return verified;
  }
  if (!transferred.ok) return transferred;
  const targets = plan.files.map((file) => file.target);
  const published = await publish(staging.value, options.destDir, targets);
  if (!published.ok) return published;
  context.log(doneEvent(context.uri, targets.length, transferred.value.bytes, progress.elapsedSeconds(), transferred.value.sha256));
  return ok({ modelPath: path.join(options.destDir, modelTarget), files: [...targets].reverse(), bytes: transferred.value.bytes });
}

function doneEvent(uri: string, files: number, bytes: number, seconds: number, sha256: string | null): LogEvent {
  const rate = bytes / 1024 ** 2 / Math.max(seconds, 1e-3);
  return {
    level: 'info',
    msg: 'fetch-model done',
    uri,
    files,
    bytes,
    seconds: Math.round(seconds * 100) / 100,
    rate_mib_s: Math.round(rate * 10) / 10,
    sha256,
  };
}

/** The digest when one was given, then that an .onnx file is ONNX at all (a labels file published with --file-name is not checked). */
async function checkTransferred(
  expected: string | undefined,
  actual: string | null,
  modelFile: string,
  label: string,
): Promise<Result<void>> {
  const digest = checkDigest(expected, actual);
  if (!digest.ok || !modelFile.endsWith('.onnx')) return digest;
  return checkOnnxModelFile(modelFile, label);
}

function checkDigest(expected: string | undefined, actual: string | null): Result<void> {
  if (expected === undefined || expected.toLowerCase() === actual) return ok(undefined);
  return fail({ kind: 'ChecksumMismatch', expected: expected.toLowerCase(), actual: actual ?? 'nothing' });
}

async function verifyInPlace(target: string, options: FetchModelOptions): Promise<Result<FetchedModel>> {
  const located = await locateInPlace(target);
  if (!located.ok) return located;
  if (options.sha256 !== undefined) {
    const actual = await sha256OfFile(located.value.modelPath);
    if (!actual.ok) return actual;
    const verified = checkDigest(options.sha256, actual.value);
    if (!verified.ok) return verified;
  }
  options.log?.({
    level: 'info',
    msg: 'fetch-model in place',
    uri: redactUri(options.uri),
    model: located.value.modelPath,
    files: located.value.files.length,
    bytes: located.value.bytes,
  });
  return ok(asFetched(located.value));
}

function asFetched(model: InPlaceModel): FetchedModel {
  return { modelPath: model.modelPath, files: [...model.files], bytes: model.bytes };
}

async function sha256OfFile(file: string): Promise<Result<string>> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return ok(hash.digest('hex'));
  } catch (error) {
    return fail({ kind: 'Io', reason: `reading ${file}: ${(error as Error).message}` });
  }
}
