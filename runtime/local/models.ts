// Getting each version's model onto this machine with the same code as the cluster's
// fetch-model init container. file:// models are used where they lie (verified, not
// copied); relative file:// paths are relative to the manifest's directory. A version's
// labels and pipeline step graphs are fetched beside it, as the operator's init containers do.
import { join } from 'node:path';
import { serveEnvRecord } from '../../contracts/index.ts';
import { LABELS_FILE, runtimePipeline, type ArtifactSource, type PipelineStage } from '../../api/index.ts';
import { fetchModel } from '../storage/index.ts';
import type { LocalVersion } from './plan.ts';

export interface FetchedVersion {
  readonly version: string;
  readonly modelPath: string;
  readonly bytes: number;
  /** Serve settings pointing at the fetched labels and step graphs. */
  readonly env: Readonly<Record<string, string>>;
}

interface FetchContext {
  readonly manifestDir: string;
  readonly signal: AbortSignal;
}

async function fetchArtifact(source: ArtifactSource, destDir: string, fileName: string, context: FetchContext): Promise<string> {
  const fetched = await fetchModel({
    uri: source.uri,
    destDir,
    fileName,
    baseDir: context.manifestDir,
    signal: context.signal,
    ...(source.sha256 === undefined ? {} : { sha256: source.sha256 }),
  });
  return fetched.modelPath;
}

/** Fetches a version's labels and step graphs; returns the serve settings for them. */
async function fetchArtifacts(version: LocalVersion, dir: string, context: FetchContext): Promise<Record<string, string>> {
  const labelsPath =
    version.labels === undefined ? undefined : await fetchArtifact(version.labels, join(dir, 'labels'), LABELS_FILE, context);
  const stepPaths = new Map<string, string>();
  for (const stage of ['preprocess', 'postprocess'] as const) {
    for (const [index, step] of (version.pipeline?.[stage] ?? []).entries()) {
      if (step.model !== undefined)
        stepPaths.set(`${stage}-${index}`, await fetchArtifact(step.model, join(dir, `${stage}-${index}`), 'model.onnx', context));
    }
  }
  const steps = [...(version.pipeline?.preprocess ?? []), ...(version.pipeline?.postprocess ?? [])];
  return serveEnvRecord({
    ...(labelsPath === undefined ? {} : { labelsPath }),
    ...(steps.length === 0
      ? {}
      : {
          pipeline: JSON.stringify(runtimePipeline(version.pipeline, (stage: PipelineStage, index) => stepPaths.get(`${stage}-${index}`)!)),
        }),
  });
}

/** Fetches every version's model (in parallel); rejects with the first storage error. */
export function fetchVersionModels(
  versions: readonly LocalVersion[],
  manifestDir: string,
  workDir: string,
  signal: AbortSignal,
): Promise<FetchedVersion[]> {
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
      const env = await fetchArtifacts(version, join(workDir, 'artifacts', version.name), { manifestDir, signal });
      return { version: version.name, modelPath: fetched.modelPath, bytes: fetched.bytes, env };
    }),
  );
}
