// The InferenceService API: types, schema, CRD, offline validation and the effective
// per-version settings. Operator, local mode and the CLI import from here.
export * from './types.ts';
export { validateInferenceService } from './validate.ts';
export type { Problem, ValidationResult } from './validate.ts';
export { checkManifests, isInferenceService, loadInferenceServices, loadManifests } from './manifests.ts';
export type { InferenceServicesResult, LoadResult, ManifestCheck, ManifestDocument, ManifestProblem } from './manifests.ts';
export { CRD_NAME, CRD_PATH, crdYaml, inferenceServiceCrd } from './crd.ts';
export { inferenceServiceSchema, MAX_VERSIONS, ROUTER_SUFFIX } from './schema.ts';
export { DEFAULT_TARGETS, effectiveWeight, resolveVersions } from './resolve.ts';
export { formatTrafficSummary, mirrorOf } from './traffic.ts';
export { withSchemaDefaults } from './defaults.ts';
export type { DefaultedSpec } from './defaults.ts';
export { DEFAULT_ROUTER_REPLICAS } from './schema-fields.ts';
export type { ResolvedGpu, ResolvedScaling, ResolvedVersion } from './resolve.ts';
export { redactUri } from './redact.ts';
export { DNS_LABEL, DNS_SUBDOMAIN } from './names.ts';
export { formatProblem, validateSources } from './validate-command.ts';
export type { FileProblem, ValidateCommandOptions } from './validate-command.ts';
export { readManifestSources } from './sources.ts';
export type { ManifestSource, SourcesResult } from './sources.ts';
export { ROLLOUT_ACTION_ANNOTATION, ROLLOUT_PAUSED_ANNOTATION, rolloutActionValue, rolloutControl } from './rollout-control.ts';
export type { RolloutAction, RolloutControl } from './rollout-control.ts';
export { EMPTY_PIPELINE, LABELS_FILE, parseRuntimePipeline, resolveImageStep, runtimePipeline, stepName } from './pipeline.ts';
export type { PipelineStage, ResolvedImageStep, RuntimePipeline, RuntimeStep } from './pipeline.ts';
