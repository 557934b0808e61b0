// Offline validation of one InferenceService: the CRD's schema and CEL rules, applied
// the way the kube-apiserver applies them at admission.
import { inferenceServiceSchema } from './schema.ts';
import { DNS_LABEL, DNS_SUBDOMAIN } from './names.ts';
import { applyDefaults, blocksRules, ruleProblems, structuralProblems } from './schema-walk.ts';
import type { Problem } from './schema-walk.ts';
import { API_GROUP_VERSION, KIND } from './types.ts';
import type { InferenceService } from './types.ts';

export type { Problem } from './schema-walk.ts';

export type ValidationResult =
  | { readonly ok: true; readonly value: InferenceService }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const RULES_SKIPPED =
  'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
const DNS_SUBDOMAIN_NAME = new RegExp(DNS_SUBDOMAIN, 'u');
const DNS_LABEL_NAME = new RegExp(DNS_LABEL, 'u');

/**
 * Checks an InferenceService as admission would and returns it with defaults applied.
 * @example
 * const result = validateInferenceService(YAML.parse(text));
 * if (!result.ok) for (const p of result.problems) console.error(`${p.path}: ${p.message}`);
 */
export function validateInferenceService(obj: unknown): ValidationResult {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, problems: [{ path: '', message: 'an InferenceService must be an object' }] };
  }
  // With the status subresource the apiserver ignores status on create and update.
  const { status, ...object } = obj as Record<string, unknown>;
  const header = headerProblems(object);
  const node = inferenceServiceSchema.node;
  const defaulted = applyDefaults(node, object) as Record<string, unknown>;
  const problems = [...header, ...admissionProblems(defaulted)];
  if (problems.length > 0) return { ok: false, problems };
  const value = (status === undefined ? defaulted : { ...defaulted, status }) as unknown as InferenceService;
  return { ok: true, value };
}

/** The apiserver's order: unknown fields refuse the request outright; blocking schema errors skip CEL. */
function admissionProblems(defaulted: Record<string, unknown>): readonly Problem[] {
  const node = inferenceServiceSchema.node;
  // metadata is checked by headerProblems, as the apiserver checks it outside the schema.
  const typed = structuralProblems(node, { ...defaulted, metadata: {} }, '');
  const structural = typed.map(({ path, message }) => ({ path, message }));
  const unknown = typed.filter((problem) => problem.type === 'UnknownField').map(({ path, message }) => ({ path, message }));
  if (unknown.length > 0) return unknown;
  if (typed.some(blocksRules)) return [...structural, { path: '', message: RULES_SKIPPED }];
  const hasName = typeof (defaulted.metadata as Record<string, unknown> | undefined)?.name === 'string';
  // Without a name (generateName) the root rules cannot run offline; the spec rules still can.
  const rules = hasName ? ruleProblems(node, defaulted, '') : ruleProblems(node.properties?.spec ?? node, defaulted.spec, 'spec');
  return [...structural, ...rules];
}

function headerProblems(object: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  if (object.apiVersion !== API_GROUP_VERSION) {
    problems.push({
      path: 'apiVersion',
      message: `Unsupported value: ${JSON.stringify(object.apiVersion)}: supported values: "${API_GROUP_VERSION}"`,
    });
  }
  if (object.kind !== KIND) {
    problems.push({ path: 'kind', message: `Unsupported value: ${JSON.stringify(object.kind)}: supported values: "${KIND}"` });
  }
  const metadata = object.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return [...problems, { path: 'metadata.name', message: 'Required value: name or generateName is required' }];
  }
  const { name, generateName, namespace } = metadata as Record<string, unknown>;
  if (name === undefined && generateName === undefined) {
    problems.push({ path: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (name !== undefined && (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN_NAME.test(name))) {
    problems.push({
      path: 'metadata.name',
      message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    });
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL_NAME.test(namespace))) {
    problems.push({
      path: 'metadata.namespace',
      message: `Invalid value: ${JSON.stringify(namespace)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    });
  }
  return problems;
}
