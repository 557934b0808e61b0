// Model storage: the API local mode, the CLI and the operator build on.
export { fetchModel, DEFAULT_MAX_BYTES, type FetchModelOptions, type FetchedModel } from './fetch.ts';
export { ModelFetchError, describeProblem, type StorageProblem } from './errors.ts';
export { CREDENTIAL_KEYS, DEFAULT_CREDENTIALS_DIR } from './credentials.ts';
export { MODEL_FILE } from './layout.ts';
export { pvcMount, type PvcMount } from './sources/local.ts';
export { parseModelUri, SUPPORTED_SCHEMES, type ModelSource } from './uri.ts';
