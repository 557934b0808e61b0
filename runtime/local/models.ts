// Getting each version's model onto this machine with the same code as the cluster's
// fetch-model init container. file:// models are used where they lie (verified, not
// copied); relative file:// paths are relative to the manifest's directory.
import { join } from 'node:path';
import { fetchModel } from '../storage/index.ts';
import type { LocalVersion } from './plan.ts';

export interface FetchedVersion {
  readonly version: string;
  readonly modelPath: string;
  readonly bytes: number;
}

/** Fetches every version's model (in parallel); rejects with the first storage error. */
export function fetchVersionModels(versions: readonly LocalVersion[], manifestDir: string, workDir: string, signal: AbortSignal): Promise<FetchedVersion[]> {
  return Promise.all(
    versions.map(async (version) => {
      const fetched = await fetchModel({
        uri: version.uri,
        destDir: join(workDir, 'models', version.name),
        baseDir: manifestDir,
        inPlace: version.uri.startsWith('file://'),
        signal,
        ...(version.sha256 === undefined ? {} : { sha256: version.sha256 }),
      });
      return { version: version.name, modelPath: fetched.modelPath, bytes: fetched.bytes };
    }),
  );
}
