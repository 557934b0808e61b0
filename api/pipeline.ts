// The pipeline as `kubeinfer serve` receives it (KUBEINFER_PIPELINE / --pipeline): the
// declared steps with every step model replaced by the local path it was fetched to, and
// the image step's defaults filled in. The operator and local mode write it; serve parses
// it. One module, so both sides agree on the format.
import { image as imageSchema } from './schema-pipeline.ts';
import { applyDefaults, structuralProblems } from './schema-walk.ts';
import type { ImageChannels, ImageLayout, ImageResize, ImageStep, Pipeline } from './types.ts';

export type PipelineStage = 'preprocess' | 'postprocess';

// The serve settings that carry it (KUBEINFER_PIPELINE, KUBEINFER_LABELS_PATH) are in the
// contracts' settings table (contracts/serve-settings.ts).
/** The name fetch-model publishes a labels file under. */
export const LABELS_FILE = 'labels.txt';

/** An image step with every default applied. */
export interface ResolvedImageStep {
  readonly input: string;
  readonly output: string;
  readonly width: number;
  readonly height: number;
  readonly layout: ImageLayout;
  readonly channels: ImageChannels;
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly resize: ImageResize;
}

/** One step as serve runs it: an ONNX file on local disk, or a built-in step. */
export type RuntimeStep = { readonly model: string } | { readonly image: ResolvedImageStep };

export interface RuntimePipeline {
  readonly preprocess: readonly RuntimeStep[];
  readonly postprocess: readonly RuntimeStep[];
}

export const EMPTY_PIPELINE: RuntimePipeline = { preprocess: [], postprocess: [] };

/** How errors and logs name a step: `preprocess[0]`. */
export function stepName(stage: PipelineStage, index: number): string {
  return `${stage}[${index}]`;
}

/** Fills an image step's defaults (the CRD's defaults, and zero mean / unit std per channel). */
export function resolveImageStep(step: ImageStep): ResolvedImageStep {
  const defaulted = applyDefaults(imageSchema.node, step) as Required<ImageStep>;
  const channels = defaulted.channels === 'GRAY' ? 1 : 3;
  return {
    ...defaulted,
    mean: step.mean ?? new Array<number>(channels).fill(0),
    std: step.std ?? new Array<number>(channels).fill(1),
  };
}

/** The serve-side pipeline for declared steps; `localPath` says where each step model was fetched. */
export function runtimePipeline(
  pipeline: Pipeline | undefined,
  localPath: (stage: PipelineStage, index: number) => string,
): RuntimePipeline {
  const stage = (name: PipelineStage): RuntimeStep[] =>
    (pipeline?.[name] ?? []).map((step, index) =>
      step.image !== undefined ? { image: resolveImageStep(step.image) } : { model: localPath(name, index) },
    );
  return { preprocess: stage('preprocess'), postprocess: stage('postprocess') };
}

export type PipelineParse = { readonly ok: true; readonly value: RuntimePipeline } | { readonly ok: false; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseStep(raw: unknown, where: string): RuntimeStep | string {
  if (isObject(raw) && typeof raw.model === 'string' && Object.keys(raw).length === 1) return { model: raw.model };
  if (!isObject(raw) || !isObject(raw.image) || Object.keys(raw).length !== 1)
    return `${where} must be {"model": "<path>"} or {"image": {...}}`;
  const problems = structuralProblems(imageSchema.node, raw.image, `${where}.image`);
  if (problems.length > 0) return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return { image: resolveImageStep(raw.image as unknown as ImageStep) };
}

/** Parses KUBEINFER_PIPELINE; an empty text is no pipeline. */
export function parseRuntimePipeline(text: string | undefined): PipelineParse {
  if (text === undefined || text.trim() === '') return { ok: true, value: EMPTY_PIPELINE };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `the pipeline is not JSON: ${(error as Error).message}` };
  }
  if (!isObject(json)) return { ok: false, message: 'the pipeline must be a JSON object with "preprocess" and "postprocess" arrays' };
  const stages: Record<PipelineStage, RuntimeStep[]> = { preprocess: [], postprocess: [] };
  for (const stage of ['preprocess', 'postprocess'] as const) {
    const raw = json[stage] ?? [];
    if (!Array.isArray(raw)) return { ok: false, message: `the pipeline's "${stage}" must be an array` };
    for (const [index, entry] of raw.entries()) {
      const step = parseStep(entry, stepName(stage, index));
      if (typeof step === 'string') return { ok: false, message: step };
      stages[stage].push(step);
    }
  }
  return { ok: true, value: stages };
}
