// Walks a value against a structural schema the way the kube-apiserver does for a
// custom resource: defaulting, then structural checks (types, required, unknown fields,
// enums, patterns, bounds, list uniqueness), then the CEL rules. Messages follow the
// apiserver's wording so a problem reads the same offline and at admission.
import { evaluateRule, toCelValue } from './cel.ts';
import type { SchemaNode } from './schema-builder.ts';

/** One problem with a manifest: where (`spec.versions[1].weight`) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** The apiserver's field error types, which decide whether CEL rules still run. */
export type SchemaErrorType =
  | 'Invalid'
  | 'Required'
  | 'NotSupported'
  | 'TooLong'
  | 'TooMany'
  | 'TypeInvalid'
  | 'Duplicate'
  | 'UnknownField';

/** A structural problem, typed like the apiserver's field.Error. */
export interface SchemaProblem extends Problem {
  readonly type: SchemaErrorType;
}

const BLOCKING: ReadonlySet<SchemaErrorType> = new Set(['Required', 'NotSupported', 'TooLong', 'TooMany', 'TypeInvalid']);

/** Whether the apiserver would skip the CEL rules because of this problem. */
export function blocksRules(problem: SchemaProblem): boolean {
  return BLOCKING.has(problem.type);
}

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (value: Json): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
const show = (value: Json) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Returns a copy with schema defaults filled in and nulls pruned, as the apiserver stores it. */
export function applyDefaults(node: SchemaNode, value: Json): Json {
  if (Array.isArray(value)) {
    const items = node.items;
    return items === undefined ? value : value.map((item) => applyDefaults(items, item));
  }
  if (!isObject(value) || node['x-kubernetes-preserve-unknown-fields'] === true) return value;
  const result: JsonObject = {};
  for (const [key, field] of Object.entries(value)) {
    const fieldNode = node.properties?.[key] ?? node.additionalProperties;
    if (field === null && node.properties?.[key] !== undefined) continue;
    result[key] = fieldNode === undefined ? field : applyDefaults(fieldNode, field);
  }
  for (const [key, fieldNode] of Object.entries(node.properties ?? {})) {
    if (result[key] === undefined && fieldNode.default !== undefined)
      result[key] = applyDefaults(fieldNode, structuredClone(fieldNode.default));
  }
  return result;
}

/** Structural problems of `value` against `node`, reported under `path`. */
export function structuralProblems(node: SchemaNode, value: Json, path: string): SchemaProblem[] {
  const typeMessage = typeMismatch(node, value, path);
  if (typeMessage !== undefined) return [{ type: 'TypeInvalid', path, message: typeMessage }];
  if (Array.isArray(value)) return arrayProblems(node, value, path);
  if (isObject(value)) return objectProblems(node, value, path);
  return scalarProblems(node, value, path);
}

function typeMismatch(node: SchemaNode, value: Json, path: string): string | undefined {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (node['x-kubernetes-int-or-string'] === true) {
    return actual === 'string' || actual === 'integer'
      ? undefined
      : `Invalid value: "${actual}": ${path} in body must be of type integer or string: "${actual}"`;
  }
  if (node.type === undefined || actual === node.type) return undefined;
  if (node.type === 'number' && actual === 'integer') return undefined;
  if (node.type === 'object' && actual === 'object') return undefined;
  return `Invalid value: "${actual}": ${path} in body must be of type ${node.type}: "${actual}"`;
}

function objectProblems(node: SchemaNode, value: JsonObject, path: string): SchemaProblem[] {
  if (node['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const problems: SchemaProblem[] = [];
  for (const name of node.required ?? []) {
    if (value[name] === undefined) problems.push({ type: 'Required', path: join(path, name), message: 'Required value' });
  }
  const keys = Object.keys(value);
  if (node.maxProperties !== undefined && keys.length > node.maxProperties) {
    problems.push({ type: 'TooMany', path, message: `Too many: ${keys.length}: must have at most ${node.maxProperties} items` });
  }
  for (const key of keys) {
    const property = node.properties?.[key];
    if (property !== undefined) problems.push(...structuralProblems(property, value[key], join(path, key)));
    else if (node.additionalProperties !== undefined)
      problems.push(...structuralProblems(node.additionalProperties, value[key], join(path, key)));
    else problems.push({ type: 'UnknownField', path: join(path, key), message: `unknown field "${join(path, key)}"` });
  }
  return problems;
}

function arrayProblems(node: SchemaNode, value: readonly Json[], path: string): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    problems.push({ type: 'TooMany', path, message: `Too many: ${value.length}: must have at most ${node.maxItems} items` });
  }
  if (node.minItems !== undefined && value.length < node.minItems) {
    problems.push({
      type: 'Invalid',
      path,
      message: `Invalid value: ${value.length}: ${path} in body should have at least ${node.minItems} items`,
    });
  }
  value.forEach((item, index) => {
    if (node.items !== undefined) problems.push(...structuralProblems(node.items, item, `${path}[${index}]`));
  });
  problems.push(...duplicateProblems(node, value, path));
  return problems;
}

function duplicateProblems(node: SchemaNode, value: readonly Json[], path: string): SchemaProblem[] {
  const listType = node['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return [];
  const keys = node['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  value.forEach((item, index) => {
    const identity = JSON.stringify(
      listType === 'set' ? item : Object.fromEntries(keys.map((key) => [key, isObject(item) ? item[key] : undefined])),
    );
    if (seen.has(identity)) problems.push({ type: 'Duplicate', path: `${path}[${index}]`, message: `Duplicate value: ${identity}` });
    seen.add(identity);
  });
  return problems;
}

function scalarProblems(node: SchemaNode, value: Json, path: string): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const add = (type: SchemaErrorType, message: string) => problems.push({ type, path, message });
  const invalid = (requirement: string) => add('Invalid', `Invalid value: ${show(value)}: ${path} in body ${requirement}`);
  if (node.enum !== undefined && !node.enum.includes(value as string)) {
    add('NotSupported', `Unsupported value: ${show(value)}: supported values: ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) invalid(`should be greater than or equal to ${node.minimum}`);
    if (node.maximum !== undefined && value > node.maximum) invalid(`should be less than or equal to ${node.maximum}`);
  }
  if (typeof value === 'string') {
    if (node.maxLength !== undefined && Buffer.byteLength(value) > node.maxLength)
      add('TooLong', `Too long: may not be more than ${node.maxLength} bytes`);
    if (node.minLength !== undefined && value.length < node.minLength) invalid(`should be at least ${node.minLength} chars long`);
    if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) invalid(`should match '${node.pattern}'`);
  }
  return problems;
}

/** Problems from the CEL rules of every node under `path`, worded like the apiserver's. */
export function ruleProblems(node: SchemaNode, value: Json, path: string): Problem[] {
  if (value === undefined) return [];
  const problems: Problem[] = [];
  if (Array.isArray(value) && node.items !== undefined) {
    const items = node.items;
    for (const [index, item] of value.entries()) problems.push(...ruleProblems(items, item, `${path}[${index}]`));
  } else if (isObject(value) && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    for (const [key, field] of Object.entries(value)) {
      const property = node.properties?.[key];
      if (property !== undefined) problems.push(...ruleProblems(property, field, join(path, key)));
      else if (node.additionalProperties !== undefined) problems.push(...ruleProblems(node.additionalProperties, field, join(path, key)));
    }
  }
  const rules = node['x-kubernetes-validations'] ?? [];
  if (rules.length === 0) return problems;
  const self = toCelValue(node, value);
  // The apiserver shows the value for scalars only.
  const shown = value === null || typeof value === 'object' ? '' : `${show(value)}: `;
  for (const rule of rules) {
    const outcome = evaluateRule(rule, self);
    if (outcome.kind !== 'Passed')
      problems.push({ path: rulePath(path, rule.fieldPath), message: `Invalid value: ${shown}${outcome.message}` });
  }
  return problems;
}

function rulePath(path: string, fieldPath: string | undefined): string {
  if (fieldPath === undefined) return path;
  return path === '' ? fieldPath.replace(/^\./u, '') : `${path}${fieldPath}`;
}
