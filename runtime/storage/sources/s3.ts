// s3:// — AWS S3 and S3-compatible stores (MinIO, Ceph RGW). Requests are signed with
// SigV4 by aws4fetch when an access key is configured, anonymous otherwise (public
// buckets). A custom endpoint implies path-style addressing, which is what MinIO and
// Ceph serve by default; AWS_S3_FORCE_PATH_STYLE overrides either way.
import { AwsV4Signer } from 'aws4fetch';
import { fail, ok, type Result } from '../errors.ts';
import { planSingle, type PlannedFile } from '../layout.ts';
import { firstOf, type Credentials } from '../credentials.ts';
import { namesSingleFile, type ModelSource } from '../../../contracts/index.ts';
import { fetchText, openStream, type PreparedRequest, type RequestStyle } from './request.ts';
import { parseListObjectsV2, s3ErrorReason } from './s3-xml.ts';
import { listingPrefix, planListing, remoteFiles, type FetchPlan, type ListingPage, type SourceContext } from './source.ts';

type S3Source = Extract<ModelSource, { scheme: 's3' }>;

interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Endpoint, region, addressing and credentials for one bucket. */
export interface S3Config {
  readonly endpoint: URL;
  readonly region: string;
  readonly pathStyle: boolean;
  readonly accessKey: AccessKey | null;
  readonly credentials: string;
}

/** Resolves S3 settings from the Secret or environment. */
export function s3Config(bucket: string, credentials: Credentials): Result<S3Config> {
  const region = firstOf(credentials, 'AWS_REGION', 'AWS_DEFAULT_REGION')?.value ?? 'us-east-1';
  const custom = firstOf(credentials, 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  let endpoint: URL;
  try {
    endpoint = new URL(custom?.value ?? `https://s3.${region}.amazonaws.com`);
  } catch {
    return fail({ kind: 'InvalidArgument', reason: `${custom?.source} is not a URL` });
  }
  const forced = credentials.get('AWS_S3_FORCE_PATH_STYLE')?.value.toLowerCase();
  // Virtual-hosted names with dots break TLS wildcard certificates, so those stay path-style.
  const pathStyle = forced !== undefined ? forced === 'true' || forced === '1' : custom !== null || bucket.includes('.');
  const id = credentials.get('AWS_ACCESS_KEY_ID');
  const secret = credentials.get('AWS_SECRET_ACCESS_KEY');
  if ((id === null) !== (secret === null)) {
    const present = (id ?? secret)!;
    return fail({
      kind: 'InvalidArgument',
      reason: `${present.source} is set but ${id ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not`,
    });
  }
  const token = credentials.get('AWS_SESSION_TOKEN');
  const accessKey =
    id && secret ? { accessKeyId: id.value, secretAccessKey: secret.value, ...(token ? { sessionToken: token.value } : {}) } : null;
  const description = id
    ? `access key from ${id.source}${token ? ' with a session token' : ''} (region ${region}, endpoint ${endpoint.origin})`
    : `no credentials, anonymous request (none in ${credentials.searched})`;
  return ok({ endpoint, region, pathStyle, accessKey, credentials: description });
}

/** The URL of an object (or, with key "", of the bucket) in either addressing style. */
export function s3Url(config: S3Config, bucket: string, key: string): URL {
  const encodedKey = key.split('/').map(encodeRfc3986).join('/');
  const base = config.endpoint.pathname.replace(/\/+$/, '');
  return config.pathStyle
    ? new URL(`${config.endpoint.origin}${base}/${bucket}/${encodedKey}`)
    : new URL(`${config.endpoint.protocol}//${bucket}.${config.endpoint.host}${base}/${encodedKey}`);
}

function encodeRfc3986(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function prepare(config: S3Config, url: URL): () => Promise<PreparedRequest> {
  return async () => {
    if (!config.accessKey) return { url: url.href, init: { method: 'GET' } };
    const signer = new AwsV4Signer({ ...config.accessKey, url: url.href, method: 'GET', service: 's3', region: config.region });
    const signed = await signer.sign();
    return { url: signed.url.href, init: { method: 'GET', headers: signed.headers } };
  };
}

function style(config: S3Config, what: string): RequestStyle {
  return {
    what,
    credentials: config.credentials,
    errorReason: (body, response) => {
      const actual = response.headers.get('x-amz-bucket-region');
      const hint = actual && actual !== config.region ? `; the bucket is in region ${actual}: set AWS_REGION=${actual}` : '';
      return `${s3ErrorReason(body)}${hint}`;
    },
  };
}

/** Plans one object (a key ending in .onnx) or every object under a prefix. */
export async function planS3(source: S3Source, context: SourceContext): Promise<Result<FetchPlan>> {
  const config = s3Config(source.bucket, context.credentials);
  if (!config.ok) return config;
  const planned =
    context.singleFile || namesSingleFile(source.key)
      ? ok(planSingle({ relativePath: source.key, size: null, key: source.key }))
      : await listPrefix(source, config.value, context);
  if (!planned.ok) return planned;
  return ok({
    credentials: config.value.credentials,
    files: remoteFiles(planned.value, config.value.endpoint.host, (object) => ({
      label: `s3://${source.bucket}/${object.key}`,
      open: (signal) =>
        openStream(
          prepare(config.value, s3Url(config.value, source.bucket, object.key)),
          signal,
          style(config.value, object.key),
          context.egress,
        ),
    })),
  });
}

type S3Object = { readonly relativePath: string; readonly size: number | null; readonly key: string };

function listPrefix(source: S3Source, config: S3Config, context: SourceContext): Promise<Result<readonly PlannedFile<S3Object>[]>> {
  const prefix = listingPrefix(source.key);
  const where = `s3://${source.bucket}/${prefix}`;
  return planListing(where, context, async (token): Promise<Result<ListingPage<S3Object>>> => {
    const url = s3Url(config, source.bucket, '');
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    url.searchParams.set('encoding-type', 'url');
    if (token) url.searchParams.set('continuation-token', token);
    const text = await fetchText(prepare(config, url), context, style(config, `listing ${where}`));
    if (!text.ok) return text;
    const page = parseListObjectsV2(text.value);
    if (!page.ok) return page;
    const objects = page.value.objects.flatMap(({ key, size }) =>
      key.startsWith(prefix) ? [{ relativePath: key.slice(prefix.length), size, key }] : [],
    );
    return ok({ objects, nextToken: page.value.nextToken });
  });
}
