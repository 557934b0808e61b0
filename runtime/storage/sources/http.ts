// http:// and https:// — one file per URI. There is no standard directory listing
// over HTTP, so a URI ending in "/" is refused rather than guessed at; models with
// external data come from s3://, gs://, file:// or pvc://.
import { fail, ok, type Result } from '../errors.ts';
import { MODEL_FILE } from '../../../contracts/index.ts';
import type { ModelSource } from '../../../contracts/index.ts';
import { redactUri } from '../../../api/redact.ts';
import { plainHttpCredentialsProblem } from './egress.ts';
import { openStream, type RequestStyle } from './request.ts';
import type { FetchPlan, SourceContext } from './source.ts';

type HttpSource = Extract<ModelSource, { scheme: 'http' }>;

interface Authorization {
  readonly header: string | null;
  readonly description: string;
}

/** Plans the download of one http(s) file. */
export function planHttp(source: HttpSource, context: SourceContext): Result<FetchPlan> {
  if (source.url.pathname.endsWith('/')) {
    return fail({
      kind: 'InvalidUri',
      reason:
        'an http(s) URI must name the model file itself (no directory listings over HTTP); use s3://, gs://, pvc:// or file:// for models with external data',
    });
  }
  const auth = authorization(source, context);
  if (!auth.ok) return auth;
  const insecure = auth.value.header ? plainHttpCredentialsProblem(source.url, auth.value.description, context.egress) : undefined;
  if (insecure) return fail(insecure);
  const printable = redactUri(source.url.href);
  // An error page's text is not repeated: it would let any URI's answer be read back through the pod's termination message.
  const style: RequestStyle = { what: printable, credentials: auth.value.description, errorReason: () => '', rejectHtml: true };
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (auth.value.header) headers.authorization = auth.value.header;
  return ok({
    credentials: auth.value.description,
    files: [
      {
        target: MODEL_FILE,
        size: null,
        label: printable,
        host: source.url.host,
        open: (signal) => openStream(async () => ({ url: source.url.href, init: { headers } }), signal, style, context.egress),
      },
    ],
  });
}

function authorization(source: HttpSource, context: SourceContext): Result<Authorization> {
  const { credentials } = context;
  if (source.userinfo) {
    return ok({ header: basic(source.userinfo.username, source.userinfo.password), description: 'basic auth from the URI' });
  }
  const bearer = credentials.get('HTTP_BEARER_TOKEN');
  if (bearer) return ok({ header: `Bearer ${bearer.value}`, description: `bearer token from ${bearer.source}` });
  const username = credentials.get('HTTP_USERNAME');
  const password = credentials.get('HTTP_PASSWORD');
  if (username && password) {
    return ok({ header: basic(username.value, password.value), description: `basic auth from ${username.source} and ${password.source}` });
  }
  if (username || password) {
    const present = (username ?? password)!;
    return fail({
      kind: 'InvalidArgument',
      reason: `${present.source} is set but ${username ? 'HTTP_PASSWORD' : 'HTTP_USERNAME'} is not; basic auth needs both`,
    });
  }
  return ok({ header: null, description: `no credentials (none in ${credentials.searched})` });
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
