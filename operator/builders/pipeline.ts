// What a version's pipeline adds to its pod: one fetch-model init container per file (the
// labels, each step's ONNX graph) filling an emptyDir at /mnt/artifacts, and the two serve
// settings that point `kubeinfer serve` at them. A pvc:// model does not change this: the
// artifacts have their own volume.
import type { V1Container, V1EnvVar, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import {
  LABELS_FILE,
  runtimePipeline,
  type ArtifactSource,
  type InferenceService,
  type PipelineStage,
  type ResolvedVersion,
} from '../../api/index.ts';
import { serveEnv } from '../../contracts/index.ts';
import { credentialsVolumes, FETCH_CONTAINER_PREFIX, fetchContainer } from './model-source.ts';
import { ARTIFACTS_DIR, type BuildOptions } from './options.ts';

export const ARTIFACTS_VOLUME = 'artifacts';

export interface PipelineDelivery {
  readonly volumes: V1Volume[];
  readonly runtimeMounts: V1VolumeMount[];
  readonly initContainers: V1Container[];
  readonly env: V1EnvVar[];
}

const NONE: PipelineDelivery = { volumes: [], runtimeMounts: [], initContainers: [], env: [] };

/** Directory a step's graph is fetched into: /mnt/artifacts/preprocess-0. */
function stepDir(stage: PipelineStage, index: number): string {
  return `${ARTIFACTS_DIR}/${stage}-${index}`;
}

interface Artifact {
  readonly container: string;
  readonly source: ArtifactSource;
  readonly dir: string;
  readonly fileName: string;
}

function artifactsOf(version: ResolvedVersion): Artifact[] {
  const artifacts: Artifact[] = [];
  if (version.model.labels !== undefined) {
    artifacts.push({
      container: `${FETCH_CONTAINER_PREFIX}labels`,
      source: version.model.labels,
      dir: `${ARTIFACTS_DIR}/labels`,
      fileName: LABELS_FILE,
    });
  }
  for (const stage of ['preprocess', 'postprocess'] as const) {
    for (const [index, step] of (version.pipeline?.[stage] ?? []).entries()) {
      if (step.model !== undefined)
        artifacts.push({
          container: `${FETCH_CONTAINER_PREFIX}${stage}-${index}`,
          source: step.model,
          dir: stepDir(stage, index),
          fileName: 'model.onnx',
        });
    }
  }
  return artifacts;
}

/** Volumes, init containers and serve settings for a version's labels and pipeline steps. */
export function pipelineDelivery(
  isvc: InferenceService,
  version: ResolvedVersion,
  resources: V1ResourceRequirements,
  options: BuildOptions,
): PipelineDelivery {
  const artifacts = artifactsOf(version);
  const steps = [...(version.pipeline?.preprocess ?? []), ...(version.pipeline?.postprocess ?? [])];
  if (artifacts.length === 0 && steps.length === 0) return NONE;
  const target: V1VolumeMount = { name: ARTIFACTS_VOLUME, mountPath: ARTIFACTS_DIR };
  const initContainers = artifacts.map((artifact) =>
    fetchContainer(
      isvc,
      artifact.container,
      [
        artifact.source.uri,
        artifact.dir,
        '--file-name',
        artifact.fileName,
        ...(artifact.source.sha256 ? ['--sha256', artifact.source.sha256] : []),
      ],
      target,
      resources,
      options,
    ),
  );
  const env: V1EnvVar[] = serveEnv({
    ...(version.model.labels === undefined ? {} : { labelsPath: `${ARTIFACTS_DIR}/labels/${LABELS_FILE}` }),
    ...(steps.length === 0
      ? {}
      : { pipeline: JSON.stringify(runtimePipeline(version.pipeline, (stage, index) => `${stepDir(stage, index)}/model.onnx`)) }),
  });
  return {
    volumes: [{ name: ARTIFACTS_VOLUME, emptyDir: {} }, ...(artifacts.length > 0 ? credentialsVolumes(isvc) : [])],
    runtimeMounts: [{ ...target, readOnly: true }],
    initContainers,
    env,
  };
}
