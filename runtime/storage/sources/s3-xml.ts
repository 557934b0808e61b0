// The two S3 XML documents fetch-model reads: ListObjectsV2 results (requested with
// encoding-type=url, so keys arrive percent-encoded and control characters cannot
// break the parse) and error bodies. Pure.
import { fail, ok, type Result } from '../errors.ts';

/** One page of a ListObjectsV2 result. */
export interface S3ListPage {
  readonly objects: readonly { readonly key: string; readonly size: number }[];
  readonly nextToken: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

function element(xml: string, name: string): string | null {
  const body = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
  return body === undefined ? null : unescapeXml(body);
}

/** S3's `encoding-type=url` form-encodes keys: "+" is a space, "%2B" a plus. */
function decodeKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** Parses one ListObjectsV2 page. */
export function parseListObjectsV2(xml: string): Result<S3ListPage> {
  if (!/<ListBucketResult[\s>]/.test(xml))
    return fail({ kind: 'HttpError', status: 200, reason: 'the S3 listing is not a ListBucketResult document' });
  const urlEncoded = element(xml, 'EncodingType') === 'url';
  const objects: { key: string; size: number }[] = [];
  for (const [, contents = ''] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const rawKey = element(contents, 'Key');
    const size = Number(element(contents, 'Size'));
    if (rawKey === null || !Number.isFinite(size)) continue;
    try {
      objects.push({ key: urlEncoded ? decodeKey(rawKey) : rawKey, size });
    } catch {
      return fail({ kind: 'HttpError', status: 200, reason: `the S3 listing holds an undecodable key ${JSON.stringify(rawKey)}` });
    }
  }
  const truncated = element(xml, 'IsTruncated') === 'true';
  return ok({ objects, nextToken: truncated ? element(xml, 'NextContinuationToken') : null });
}

/** "Code: Message" from an S3 error body, or the empty string. */
export function s3ErrorReason(xml: string): string {
  const code = element(xml, 'Code');
  const message = element(xml, 'Message');
  return [code, message].filter(Boolean).join(': ');
}
