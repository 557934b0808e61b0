// What every scheme's source module provides: the list of files to fetch for a URI.
import type { Credentials } from '../credentials.ts';
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
  readonly signal?: AbortSignal;
}

/** The files of one model, in publication order (the model file last). */
export interface FetchPlan {
  readonly files: readonly RemoteFile[];
  /** Which credentials the requests carry, for the start log line. */
  readonly credentials: string;
}
