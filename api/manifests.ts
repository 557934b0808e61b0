// Multi-document YAML (or JSON) manifests: split, parse, pick out InferenceServices
// and validate each, with problems that name the document they came from.
import { isMap, isNode, isScalar, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { API_GROUP, KIND } from './types.ts';
import type { InferenceService } from './types.ts';
import { validateInferenceService } from './validate.ts';
import type { Problem } from './validate.ts';

/** One parsed YAML document; `index` counts from 1 and `line` is where it starts. */
export interface ManifestDocument {
  readonly index: number;
  readonly line: number;
  readonly value: unknown;
  /** The line of a field path such as `spec.versions[1].weight` (or its nearest parent). */
  readonly lineOf: (path: string) => number;
}

/** A problem located in a multi-document stream. */
export interface ManifestProblem extends Problem {
  readonly document: number;
  readonly line: number;
  /** `InferenceService ml/fraud` when the document says so. */
  readonly object?: string;
}

export type LoadResult =
  | { readonly ok: true; readonly documents: readonly ManifestDocument[] }
  | { readonly ok: false; readonly problems: readonly ManifestProblem[] };

/** Parses every non-empty document; `kind: List` documents are expanded into their items. */
export function loadManifests(text: string): LoadResult {
  const documents: ManifestDocument[] = [];
  const problems: ManifestProblem[] = [];
  const lineOf = lineCounter(text);
  parseAllDocuments(text).forEach((document, position) => {
    const index = position + 1;
    const line = lineOf(document.range[0]);
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        problems.push({
          document: index,
          line: error.linePos?.[0].line ?? line,
          path: '',
          message: `YAML: ${error.message.split('\n')[0]}`,
        });
      }
      return;
    }
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    expandList(value).forEach((item, position) => {
      const prefix = item === value ? [] : ['items', position];
      documents.push({
        index,
        line,
        value: item,
        lineOf: (path) => fieldLine(document, [...prefix, ...pathSegments(path)], lineOf) ?? line,
      });
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, documents };
}

/** Whether a document claims to be one of our InferenceServices (KServe's has another group). */
export function isInferenceService(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  return kind === KIND && typeof apiVersion === 'string' && apiVersion.startsWith(`${API_GROUP}/`);
}

/** Every InferenceService in a stream, validated; `checked` counts them, valid or not. */
export interface ManifestCheck {
  readonly services: readonly InferenceService[];
  readonly checked: number;
  /** Documents of other kinds (Deployments, KServe's InferenceService, ...), left alone. */
  readonly skipped: number;
  readonly problems: readonly ManifestProblem[];
}

/** Parses a stream and validates each of our InferenceServices in it. */
export function checkManifests(text: string): ManifestCheck {
  const loaded = loadManifests(text);
  if (!loaded.ok) return { services: [], checked: 0, skipped: 0, problems: loaded.problems };
  const services: InferenceService[] = [];
  const problems: ManifestProblem[] = [];
  let skipped = 0;
  for (const document of loaded.documents) {
    if (!isInferenceService(document.value)) {
      skipped += 1;
      continue;
    }
    const result = validateInferenceService(document.value);
    if (result.ok) services.push(result.value);
    else
      problems.push(
        ...result.problems.map((problem) => ({
          ...problem,
          document: document.index,
          line: document.lineOf(problem.path),
          object: describe(document.value),
        })),
      );
  }
  return { services, checked: loaded.documents.length - skipped, skipped, problems };
}

export type InferenceServicesResult =
  | { readonly ok: true; readonly services: readonly InferenceService[]; readonly skipped: number }
  | { readonly ok: false; readonly problems: readonly ManifestProblem[] };

/** Loads every InferenceService of a stream, or every problem if any is invalid. */
export function loadInferenceServices(text: string): InferenceServicesResult {
  const check = checkManifests(text);
  return check.problems.length > 0
    ? { ok: false, problems: check.problems }
    : { ok: true, services: check.services, skipped: check.skipped };
}

function expandList(value: unknown): readonly unknown[] {
  if (typeof value !== 'object' || value === null) return [value];
  const { kind, items } = value as Record<string, unknown>;
  return kind === 'List' && Array.isArray(items) ? items : [value];
}

function describe(value: unknown): string {
  const metadata = (value as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const name = typeof metadata?.name === 'string' ? metadata.name : '<unnamed>';
  return typeof metadata?.namespace === 'string' ? `${KIND} ${metadata.namespace}/${name}` : `${KIND} ${name}`;
}

function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\[([^\]]+)\]/gu)) {
    segments.push(match[2] === undefined ? (match[1] ?? match[3] ?? '') : Number(match[2]));
  }
  return segments;
}

function fieldLine(document: Document, segments: readonly (string | number)[], lineOf: (offset: number) => number): number | undefined {
  for (let length = segments.length; length > 0; length -= 1) {
    const parent: unknown = length === 1 ? document.contents : document.getIn(segments.slice(0, length - 1), true);
    const last = segments[length - 1];
    // A map field is reported at its key (`weight: 150`, or `versions:` above a list).
    const pair = isMap(parent) ? parent.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === last) : undefined;
    const node: unknown = isNode(pair?.key) ? pair.key : document.getIn(segments.slice(0, length), true);
    if (isNode(node) && node.range) return lineOf(node.range[0]);
  }
  return undefined;
}

function lineCounter(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}
