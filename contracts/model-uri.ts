// Model URIs, parsed once into a typed source, and where a pvc:// model sits once its
// claim is mounted. The operator (which mounts claims) and fetch-model (which verifies
// and downloads) both read URIs through this module, so they cannot disagree. Pure.
import path from 'node:path';
import { DNS_SUBDOMAIN } from '../api/names.ts';

/** A parsed value, or why the URI was refused (the shape fetch-model's problems share). */
export type UriResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: { readonly kind: 'InvalidUri'; readonly reason: string } };

const ok = <T>(value: T): UriResult<T> => ({ ok: true, value });
const fail = (problem: { readonly kind: 'InvalidUri'; readonly reason: string }): UriResult<never> => ({ ok: false, problem });

/** Where a model comes from, by scheme. */
export type ModelSource =
  | { readonly scheme: 'file'; readonly path: string }
  | { readonly scheme: 'http'; readonly url: URL; readonly userinfo: { readonly username: string; readonly password: string } | null }
  | { readonly scheme: 's3'; readonly bucket: string; readonly key: string }
  | { readonly scheme: 'gs'; readonly bucket: string; readonly object: string }
  | { readonly scheme: 'pvc'; readonly claim: string; readonly path: string };

export const SUPPORTED_SCHEMES = ['file://', 'http://', 'https://', 's3://', 'gs://', 'pvc://'] as const;

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const CLAIM_NAME = new RegExp(DNS_SUBDOMAIN, 'u');

/** Parses a model URI; relative `file://` paths resolve against `baseDir`. */
export function parseModelUri(uri: string, baseDir: string = process.cwd()): UriResult<ModelSource> {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s.exec(uri);
  if (!match) return fail({ kind: 'InvalidUri', reason: `not a URI; use one of ${SUPPORTED_SCHEMES.join(' ')}` });
  // Both groups are mandatory in the pattern; an empty scheme falls to the "unsupported scheme" branch.
  const [, schemeText = '', rest = ''] = match;
  const scheme = schemeText.toLowerCase();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this check rejects
  if (/[\u0000-\u001f]/.test(uri)) return fail({ kind: 'InvalidUri', reason: 'the URI contains control characters' });
  switch (scheme) {
    case 'file':
      return parseFile(rest, baseDir);
    case 'http':
    case 'https':
      return parseHttp(uri);
    case 's3':
      return parseBucketUri(rest, 's3');
    case 'gs':
      return parseBucketUri(rest, 'gs');
    case 'pvc':
      return parsePvc(rest);
    default:
      return fail({ kind: 'InvalidUri', reason: `unsupported scheme "${scheme}://"; use one of ${SUPPORTED_SCHEMES.join(' ')}` });
  }
}

function parseFile(rest: string, baseDir: string): UriResult<ModelSource> {
  if (rest === '') return fail({ kind: 'InvalidUri', reason: 'file:// needs a path' });
  let decoded = rest;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    // Not percent-encoded after all: a literal "%" in a file name.
  }
  return ok({ scheme: 'file', path: path.resolve(baseDir, decoded) });
}

function parseHttp(uri: string): UriResult<ModelSource> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail({ kind: 'InvalidUri', reason: 'malformed http(s) URL' });
  }
  if (url.hostname === '') return fail({ kind: 'InvalidUri', reason: 'the URL has no host' });
  // fetch refuses URLs with credentials; they move into an Authorization header instead.
  const userinfo =
    url.username || url.password ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : null;
  url.username = '';
  url.password = '';
  url.hash = '';
  return ok({ scheme: 'http', url, userinfo });
}

function parseBucketUri(rest: string, scheme: 's3' | 'gs'): UriResult<ModelSource> {
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) {
    return fail({
      kind: 'InvalidUri',
      reason: `"${bucket}" is not a valid bucket name (3-222 characters: lowercase letters, digits, ".", "-", "_")`,
    });
  }
  if (key.split('/').some((segment) => segment === '..' || segment === '.')) {
    return fail({ kind: 'InvalidUri', reason: 'the object path may not contain "." or ".." segments' });
  }
  return ok(scheme === 's3' ? { scheme, bucket, key } : { scheme, bucket, object: key });
}

// Empty segments (`pvc://models//a/model.onnx`, a trailing slash) are dropped: the
// schema accepts them, and a subPath is relative to the claim's root either way.
function parsePvc(rest: string): UriResult<ModelSource> {
  const slash = rest.indexOf('/');
  const claim = slash === -1 ? rest : rest.slice(0, slash);
  const segments =
    slash === -1
      ? []
      : rest
          .slice(slash + 1)
          .split('/')
          .filter((segment) => segment !== '');
  if (!CLAIM_NAME.test(claim) || claim.length > 253) {
    return fail({ kind: 'InvalidUri', reason: `"${claim}" is not a valid PersistentVolumeClaim name` });
  }
  if (segments.some((segment) => segment === '..' || segment === '.')) {
    return fail({ kind: 'InvalidUri', reason: 'the path inside the claim may not contain "." or ".." segments' });
  }
  return ok({ scheme: 'pvc', claim, path: segments.join('/') });
}

/** True when a key or path names one model file rather than a directory or prefix. */
export function namesSingleFile(keyOrPath: string): boolean {
  return keyOrPath.toLowerCase().endsWith('.onnx');
}

/** The file a directory-shaped URI must hold, and the name a fetched single file gets. */
export const MODEL_FILE = 'model.onnx';

/** Where a `pvc://claim/path` model is once the claim is mounted: claim, sub-path and model file. */
export interface PvcMount {
  readonly claimName: string;
  /** Directory inside the claim that is mounted ('' for the claim's root). */
  readonly subPath: string;
  readonly modelFile: string;
}

/**
 * The mount for a pvc:// URI: a `.onnx` path (any case) mounts its directory, anything else
 * the directory itself, which must hold model.onnx.
 * @example
 * pvcMount({ scheme: 'pvc', claim: 'models', path: 'fraud/MODEL.ONNX' }); // { claimName: 'models', subPath: 'fraud', modelFile: 'MODEL.ONNX' }
 */
export function pvcMount(source: Extract<ModelSource, { scheme: 'pvc' }>): PvcMount {
  if (namesSingleFile(source.path)) {
    const slash = source.path.lastIndexOf('/');
    return { claimName: source.claim, subPath: slash === -1 ? '' : source.path.slice(0, slash), modelFile: source.path.slice(slash + 1) };
  }
  return { claimName: source.claim, subPath: source.path, modelFile: MODEL_FILE };
}
