// `kubeinfer fetch-model <uri> <dir>`: the runtime image's init container. Logs JSON
// lines; on failure prints the reason, writes it to the Kubernetes termination log (so
// it shows in the pod's status and `kubectl describe pod`) and exits non-zero.
import type { Command } from 'commander';
import { TERMINATION_LOG, writeTerminationMessage } from '../termination.ts';

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Parses a byte count written as a Kubernetes quantity ("20Gi", "500M", "1048576"). */
export function parseByteQuantity(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(k|M|G|T|Ki|Mi|Gi|Ti)?B?$/.exec(text.trim());
  if (!match) return null;
  const multiplier = UNITS[match[2] ?? ''];
  if (multiplier === undefined) return null;
  const bytes = Math.floor(Number(match[1]) * multiplier);
  return bytes > 0 ? bytes : null;
}

interface FetchModelFlags {
  readonly sha256?: string;
  readonly fileName?: string;
  readonly credentialsDir?: string;
  readonly maxBytes: string;
  readonly progressInterval: string;
  readonly terminationLog: string;
  readonly allowCrossHostRedirects?: boolean;
  readonly allowLinkLocal?: boolean;
  readonly allowPlainHttpCredentials?: boolean;
}

/** Registers `kubeinfer fetch-model`. */
export function registerFetchModel(program: Command): void {
  program
    .command('fetch-model')
    .description('Download a model URI (file, http(s), s3, gs, pvc) into a directory as model.onnx plus its external-data files.')
    .argument(
      '<uri>',
      'file://, http(s)://, s3://bucket/key, gs://bucket/object or pvc://claim/path; a key ending in .onnx is one file, anything else a prefix holding model.onnx',
    )
    .argument('<dir>', 'destination directory (the shared model volume, e.g. /mnt/models)')
    .option(
      '--sha256 <hex>',
      'expected sha256 of the model file; verified before the model is published',
      process.env.KUBEINFER_MODEL_SHA256,
    )
    .option('--file-name <name>', 'the URI names one file (any extension, e.g. labels); publish it under this name instead of model.onnx')
    .option(
      '--credentials-dir <dir>',
      'directory with one file per credential key (the mounted storage Secret)',
      process.env.KUBEINFER_STORAGE_CREDENTIALS_DIR,
    )
    .option(
      '--max-bytes <quantity>',
      'refuse models larger than this (bytes or a quantity such as 20Gi)',
      process.env.KUBEINFER_MAX_MODEL_BYTES ?? '20Gi',
    )
    .option('--progress-interval <seconds>', 'seconds between progress lines', '5')
    .option('--termination-log <path>', 'file that receives the failure reason, when it exists', TERMINATION_LOG)
    .option('--allow-cross-host-redirects', 'follow redirects to other hosts (credentials are not sent there)')
    .option('--allow-link-local', 'allow link-local addresses such as the cloud metadata service (169.254.0.0/16, fd00:ec2::254)')
    .option('--allow-plain-http-credentials', 'send a bearer token or basic auth over http:// (it travels in clear text)')
    .action(async (uri: string, dir: string, flags: FetchModelFlags) => {
      process.exitCode = await runFetchModel(uri, dir, flags);
    });
}

async function runFetchModel(uri: string, dir: string, flags: FetchModelFlags): Promise<number> {
  const { fetchModel, ModelFetchError } = await import('./index.ts');
  const { redactUri } = await import('../../api/redact.ts');
  const maxBytes = parseByteQuantity(flags.maxBytes);
  const interval = Number(flags.progressInterval);
  if (maxBytes === null || !(interval > 0)) {
    return failWith(
      `fetch ${redactUri(uri)}: InvalidArgument: ${maxBytes === null ? `--max-bytes ${flags.maxBytes} is not a byte quantity` : '--progress-interval must be a positive number of seconds'}`,
      'InvalidArgument',
      flags,
    );
  }
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => abort.abort(new Error(`received ${signal}`));
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  try {
    const fetched = await fetchModel({
      uri,
      destDir: dir,
      sha256: flags.sha256,
      fileName: flags.fileName,
      credentialsDir: flags.credentialsDir,
      maxBytes,
      progressIntervalMs: interval * 1000,
      signal: abort.signal,
      log: printEvent,
      egress: {
        allowCrossHostRedirects: flags.allowCrossHostRedirects === true,
        allowLinkLocal: flags.allowLinkLocal === true,
        allowPlainHttpCredentials: flags.allowPlainHttpCredentials === true,
      },
    });
    printEvent({ level: 'info', msg: 'model ready', model: fetched.modelPath, files: fetched.files, bytes: fetched.bytes });
    return 0;
  } catch (error) {
    if (!(error instanceof ModelFetchError)) throw error;
    return failWith(error.message, error.kind, flags);
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  }
}

function printEvent(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

function failWith(message: string, kind: string, flags: FetchModelFlags): number {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'fetch-model failed', kind, error: message })}\n`,
  );
  writeTerminationMessage(flags.terminationLog, message);
  return 1;
}
