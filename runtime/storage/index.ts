// Model storage: the API local mode and the CLI build on (URIs and credentials keys are contracts/).
export { fetchModel, DEFAULT_MAX_BYTES, type FetchModelOptions, type FetchedModel } from './fetch.ts';
export { ModelFetchError, describeProblem, type StorageProblem } from './errors.ts';
