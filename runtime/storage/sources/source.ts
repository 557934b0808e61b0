// What every scheme's source module provides (the list of files to fetch for a URI), and
// the two steps the listing sources (s3://, gs://) share: paging through a prefix, and
// turning placed objects into files to fetch.
import { fail, type Result } from '../errors.ts';
import type { Credentials } from '../credentials.ts';
import type { EgressPolicy } from './egress.ts';
import { knownTotal, planDirectory, type ListedObject, type PlannedFile } from '../layout.ts';
import type { LogEvent } from '../progress.ts';
import type { RetryPolicy } from '../retry.ts';
import type { RemoteFile } from '../transfer.ts';

/** What a source needs to resolve a URI. */
export interface SourceContext {
  readonly uri: string;
  readonly credentials: Credentials;
  readonly retry: RetryPolicy;
  readonly idleTimeoutMs: number;
  readonly log: (event: LogEvent) => void;
  readonly signal?: AbortSignal | undefined;
  /** Where requests may go: redirects, link-local addresses, credentials over plain http. */
  readonly egress: EgressPolicy;
  /** The URI names one object whatever its extension (labels, a pipeline step): never list it as a prefix. */
  readonly singleFile: boolean;
}

/** The files of one model, in publication order (the model file last). */
export interface FetchPlan {
  readonly files: readonly RemoteFile[];
  /** Which credentials the requests carry, for the start log line. */
  readonly credentials: string;
}

/** One page of a bucket listing: the objects under the prefix, and where the next page starts. */
export interface ListingPage<T extends ListedObject> {
  readonly objects: readonly T[];
  readonly nextToken: string | null;
}

const MAX_OBJECTS = 10_000;

/** A key or object name as a listing prefix: "" or ending in "/". */
export function listingPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/** Reads every page of the listing of `where` and places its objects in the model directory. */
export async function planListing<T extends ListedObject>(
  where: string,
  context: SourceContext,
  listPage: (token: string | null) => Promise<Result<ListingPage<T>>>,
): Promise<Result<readonly PlannedFile<T>[]>> {
  const objects: T[] = [];
  let token: string | null = null;
  do {
    const page = await listPage(token);
    if (!page.ok) return page;
    objects.push(...page.value.objects);
    if (objects.length > MAX_OBJECTS)
      return fail({
        kind: 'InvalidArgument',
        reason: `${where} holds more than ${MAX_OBJECTS} objects; point the URI at the model's own prefix`,
      });
    token = page.value.nextToken;
  } while (token);
  context.log({ level: 'info', msg: 'fetch-model listed', uri: where, objects: objects.length, bytes: knownTotal(objects) });
  return planDirectory(objects, where);
}

/** The files to fetch for placed objects on one host; `describe` names an object and opens it. */
export function remoteFiles<T extends ListedObject>(
  planned: readonly PlannedFile<T>[],
  host: string,
  describe: (object: T) => Pick<RemoteFile, 'label' | 'open'>,
): RemoteFile[] {
  return planned.map(({ object, target }) => ({ target, size: object.size, host, ...describe(object) }));
}
