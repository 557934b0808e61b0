// Evaluates the CRD's x-kubernetes-validations rules offline, with the same CEL
// expressions the kube-apiserver runs, so `kubeinfer validate` and admission agree.
import { Environment } from '@marcbachmann/cel-js';
import type { SchemaNode, ValidationRule } from './schema-builder.ts';

type Program = (context: { readonly self: unknown }) => unknown;

// Kubernetes adds its own CEL libraries; this is the part of them our rules use.
const environment = new Environment()
  .registerVariable('self', 'dyn')
  .registerFunction({
    name: 'sum',
    receiverType: 'list',
    returnType: 'dyn',
    handler: (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n),
    params: [],
  })
  .registerFunction({
    name: 'isSorted',
    receiverType: 'list',
    returnType: 'bool',
    handler: (values: readonly (bigint | number | string)[]) =>
      values.every((value, i) => {
        const previous = values[i - 1];
        return previous === undefined || previous <= value;
      }),
    params: [],
  });

const programs = new Map<string, Program>();

function compile(expression: string): Program {
  let program = programs.get(expression);
  if (program === undefined) {
    program = environment.parse(expression) as Program;
    programs.set(expression, program);
  }
  return program;
}

/** The outcome of one rule: passed, failed with the user-facing message, or could not run. */
export type RuleOutcome =
  | { readonly kind: 'Passed' }
  | { readonly kind: 'Failed'; readonly message: string }
  | { readonly kind: 'Error'; readonly message: string };

/** Runs one rule against a value already converted with `toCelValue`. */
export function evaluateRule(rule: ValidationRule, self: unknown): RuleOutcome {
  try {
    if (compile(rule.rule)({ self }) === true) return { kind: 'Passed' };
  } catch (error) {
    return { kind: 'Error', message: `rule evaluation error: ${firstLine(error)}` };
  }
  return { kind: 'Failed', message: rule.message };
}

/** Converts JSON to the values the apiserver's CEL sees: integer fields become ints (bigint). */
export function toCelValue(node: SchemaNode, value: unknown): unknown {
  if (node.type === 'integer' && typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) {
    const items = node.items;
    return items === undefined ? value : value.map((item) => toCelValue(items, item));
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, field]) => {
    const fieldNode = node.properties?.[key] ?? node.additionalProperties;
    return [key, fieldNode === undefined ? field : toCelValue(fieldNode, field)] as const;
  });
  return Object.fromEntries(entries);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
