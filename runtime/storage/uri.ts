// Model URIs, parsed once into a typed source. Pure: no I/O.
import path from 'node:path';
import { fail, ok, type Result } from './errors.ts';

/** Where a model comes from, by scheme. */
export type ModelSource =
  | { readonly scheme: 'file'; readonly path: string }
  | { readonly scheme: 'http'; readonly url: URL; readonly userinfo: { readonly username: string; readonly password: string } | null }
  | { readonly scheme: 's3'; readonly bucket: string; readonly key: string }
  | { readonly scheme: 'gs'; readonly bucket: string; readonly object: string }
  | { readonly scheme: 'pvc'; readonly claim: string; readonly path: string };

export const SUPPORTED_SCHEMES = ['file://', 'http://', 'https://', 's3://', 'gs://', 'pvc://'] as const;

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Parses a model URI; relative `file://` paths resolve against `baseDir`. */
export function parseModelUri(uri: string, baseDir: string = process.cwd()): Result<ModelSource> {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s.exec(uri);
  if (!match) return fail({ kind: 'InvalidUri', reason: `not a URI; use one of ${SUPPORTED_SCHEMES.join(' ')}` });
  const scheme = match[1].toLowerCase();
  const rest = match[2];
  if (/[\u0000-\u001f]/.test(uri)) return fail({ kind: 'InvalidUri', reason: 'the URI contains control characters' });
  switch (scheme) {
    case 'file': return parseFile(rest, baseDir);
    case 'http':
    case 'https': return parseHttp(uri);
    case 's3': return parseBucketUri(rest, 's3');
    case 'gs': return parseBucketUri(rest, 'gs');
    case 'pvc': return parsePvc(rest);
    default: return fail({ kind: 'InvalidUri', reason: `unsupported scheme "${scheme}://"; use one of ${SUPPORTED_SCHEMES.join(' ')}` });
  }
}

function parseFile(rest: string, baseDir: string): Result<ModelSource> {
  if (rest === '') return fail({ kind: 'InvalidUri', reason: 'file:// needs a path' });
  let decoded = rest;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    // Not percent-encoded after all: a literal "%" in a file name.
  }
  return ok({ scheme: 'file', path: path.resolve(baseDir, decoded) });
}

function parseHttp(uri: string): Result<ModelSource> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail({ kind: 'InvalidUri', reason: 'malformed http(s) URL' });
  }
  if (url.hostname === '') return fail({ kind: 'InvalidUri', reason: 'the URL has no host' });
  // fetch refuses URLs with credentials; they move into an Authorization header instead.
  const userinfo = url.username || url.password
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : null;
  url.username = '';
  url.password = '';
  url.hash = '';
  return ok({ scheme: 'http', url, userinfo });
}

function parseBucketUri(rest: string, scheme: 's3' | 'gs'): Result<ModelSource> {
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) {
    return fail({ kind: 'InvalidUri', reason: `"${bucket}" is not a valid bucket name (3-222 characters: lowercase letters, digits, ".", "-", "_")` });
  }
  if (key.split('/').some((segment) => segment === '..' || segment === '.')) {
    return fail({ kind: 'InvalidUri', reason: 'the object path may not contain "." or ".." segments' });
  }
  return ok(scheme === 's3' ? { scheme, bucket, key } : { scheme, bucket, object: key });
}

function parsePvc(rest: string): Result<ModelSource> {
  const slash = rest.indexOf('/');
  const claim = slash === -1 ? rest : rest.slice(0, slash);
  const inner = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  if (!DNS1123_SUBDOMAIN.test(claim) || claim.length > 253) {
    return fail({ kind: 'InvalidUri', reason: `"${claim}" is not a valid PersistentVolumeClaim name` });
  }
  if (inner.startsWith('/') || inner.split('/').some((segment) => segment === '..' || segment === '.')) {
    return fail({ kind: 'InvalidUri', reason: 'the path inside the claim must be relative, without "." or ".." segments' });
  }
  return ok({ scheme: 'pvc', claim, path: inner });
}

/** True when a key or path names one model file rather than a directory or prefix. */
export function namesSingleFile(keyOrPath: string): boolean {
  return keyOrPath.toLowerCase().endsWith('.onnx');
}
