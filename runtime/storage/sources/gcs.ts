// gs:// — Google Cloud Storage through its JSON API. Public objects need no
// credentials; `service-account.json` in the Secret (or GOOGLE_APPLICATION_CREDENTIALS)
// is exchanged for a read-only access token. GCS_ENDPOINT_URL or STORAGE_EMULATOR_HOST
// (Google's own variable for emulators) point it at another endpoint.
import { fail, ok, type Result } from '../errors.ts';
import { planSingle, type PlannedFile } from '../layout.ts';
import { firstOf } from '../credentials.ts';
import { namesSingleFile, type ModelSource } from '../../../contracts/index.ts';
import { parseServiceAccountKey, serviceAccountTokens, type TokenSource } from './gcs-auth.ts';
import { fetchText, openStream, type PreparedRequest, type RequestStyle } from './request.ts';
import { listingPrefix, planListing, remoteFiles, type FetchPlan, type ListingPage, type SourceContext } from './source.ts';

type GcsSource = Extract<ModelSource, { scheme: 'gs' }>;
type GcsObject = { readonly relativePath: string; readonly size: number | null; readonly name: string };

interface GcsClient {
  readonly endpoint: string;
  readonly tokens: TokenSource | null;
  readonly credentials: string;
}

function gcsClient(context: SourceContext): Result<GcsClient> {
  const configured = firstOf(context.credentials, 'GCS_ENDPOINT_URL', 'STORAGE_EMULATOR_HOST')?.value;
  const endpoint = (
    configured ? (/^https?:\/\//.test(configured) ? configured : `http://${configured}`) : 'https://storage.googleapis.com'
  ).replace(/\/+$/, '');
  const keyFile = context.credentials.get('service-account.json');
  if (!keyFile)
    return ok({
      endpoint,
      tokens: null,
      credentials: `no credentials, public access (no service-account.json in ${context.credentials.searched})`,
    });
  const key = parseServiceAccountKey(keyFile);
  if (!key.ok) return key;
  return ok({
    endpoint,
    tokens: serviceAccountTokens(key.value, keyFile, context),
    credentials: `service-account key ${key.value.clientEmail} from ${keyFile.source}`,
  });
}

function prepare(client: GcsClient, url: string, token: string | null): () => Promise<PreparedRequest> {
  return async () => {
    let bearer = token;
    if (client.tokens) {
      // Renews the token for long downloads; on failure the old one earns a clear 401.
      const renewed = await client.tokens.token();
      if (renewed.ok) bearer = renewed.value;
    }
    return { url, init: { method: 'GET', headers: bearer ? { authorization: `Bearer ${bearer}` } : {} } };
  };
}

function style(client: GcsClient, what: string): RequestStyle {
  return { what, credentials: client.credentials, errorReason: gcsErrorReason };
}

/** "message" of a GCS JSON error body. */
export function gcsErrorReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** Plans one object (a name ending in .onnx) or every object under a prefix. */
export async function planGcs(source: GcsSource, context: SourceContext): Promise<Result<FetchPlan>> {
  const client = gcsClient(context);
  if (!client.ok) return client;
  let token: string | null = null;
  if (client.value.tokens) {
    const first = await client.value.tokens.token();
    if (!first.ok) return first;
    token = first.value;
  }
  const planned =
    context.singleFile || namesSingleFile(source.object)
      ? ok(planSingle({ relativePath: source.object, size: null, name: source.object }))
      : await listPrefix(source, client.value, token, context);
  if (!planned.ok) return planned;
  const bucketUrl = `${client.value.endpoint}/storage/v1/b/${encodeURIComponent(source.bucket)}/o`;
  return ok({
    credentials: client.value.credentials,
    files: remoteFiles(planned.value, new URL(client.value.endpoint).host, (object) => ({
      label: `gs://${source.bucket}/${object.name}`,
      open: (signal) =>
        openStream(
          prepare(client.value, `${bucketUrl}/${encodeURIComponent(object.name)}?alt=media`, token),
          signal,
          style(client.value, object.name),
          context.egress,
        ),
    })),
  });
}

function listPrefix(
  source: GcsSource,
  client: GcsClient,
  token: string | null,
  context: SourceContext,
): Promise<Result<readonly PlannedFile<GcsObject>[]>> {
  const prefix = listingPrefix(source.object);
  const where = `gs://${source.bucket}/${prefix}`;
  return planListing(where, context, async (pageToken): Promise<Result<ListingPage<GcsObject>>> => {
    const url = new URL(`${client.endpoint}/storage/v1/b/${encodeURIComponent(source.bucket)}/o`);
    url.searchParams.set('prefix', prefix);
    if (pageToken) url.searchParams.set('pageToken', pageToken);
    const text = await fetchText(prepare(client, url.href, token), context, style(client, `listing ${where}`));
    if (!text.ok) return text;
    const page = parseJson(text.value) as { items?: { name?: unknown; size?: unknown }[]; nextPageToken?: unknown } | null;
    if (!page) return fail({ kind: 'HttpError', status: 200, reason: `the listing of ${where} is not JSON` });
    const objects = (page.items ?? []).flatMap((item) =>
      typeof item.name === 'string' && item.name.startsWith(prefix)
        ? [{ relativePath: item.name.slice(prefix.length), size: item.size === undefined ? null : Number(item.size), name: item.name }]
        : [],
    );
    return ok({ objects, nextToken: typeof page.nextPageToken === 'string' ? page.nextPageToken : null });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
