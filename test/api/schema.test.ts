// The CRD comes from the schema in code: the committed file must be the generated one,
// every field documented, every list and string bounded (CEL cost), every rule valid CEL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Environment } from '@marcbachmann/cel-js';
import { CRD_PATH, crdYaml, inferenceServiceCrd, inferenceServiceSchema } from '../../api/index.ts';
import type { SchemaNode } from '../../api/schema-builder.ts';
import { ROOT } from './corpus.ts';
import { schemaTypeErrors } from './types-drift.ts';

function* walk(node: SchemaNode, path: string): Generator<{ node: SchemaNode; path: string }> {
  yield { node, path };
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* walk(child, `${path}.${name}`);
  if (node.items !== undefined) yield* walk(node.items, `${path}[]`);
  if (node.additionalProperties !== undefined) yield* walk(node.additionalProperties, `${path}{}`);
}

const nodes = [...walk(inferenceServiceSchema.node, '')].filter(({ path }) => !path.startsWith('.metadata'));

describe('InferenceService CRD', () => {
  it('is committed exactly as `npm run generate` writes it', () => {
    const committed = readFileSync(`${ROOT}${CRD_PATH}`, 'utf8');
    assert.equal(committed, crdYaml(), `${CRD_PATH} is stale: run npm run generate`);
    assert.deepEqual(parse(committed), JSON.parse(JSON.stringify(inferenceServiceCrd)));
  });

  it('documents every field for kubectl explain', () => {
    const undocumented = nodes.filter(({ node }) => node.description === undefined || node.description.length < 10).map(({ path }) => path);
    assert.deepEqual(undocumented, []);
  });

  it('bounds every list, map and rule-checked string so the apiserver can cost the CEL rules', () => {
    const unbounded = nodes
      .filter(
        ({ node }) =>
          (node.type === 'array' && node.maxItems === undefined) ||
          (node.additionalProperties !== undefined && node.maxProperties === undefined),
      )
      .map(({ path }) => path);
    assert.deepEqual(unbounded, []);
    const unboundedRuleStrings = nodes
      .filter(({ node }) => node.type === 'string' && node['x-kubernetes-validations'] !== undefined && node.maxLength === undefined)
      .map(({ path }) => path);
    assert.deepEqual(unboundedRuleStrings, []);
  });

  it('has rules that parse as CEL, each with a message', () => {
    const environment = new Environment({ unlistedVariablesAreDyn: true });
    const rules = nodes.flatMap(({ node, path }) => (node['x-kubernetes-validations'] ?? []).map((rule) => ({ ...rule, path })));
    assert.ok(rules.length >= 15, `expected the CRD to carry its CEL rules, found ${rules.length}`);
    for (const rule of rules) {
      assert.doesNotThrow(() => environment.parse(rule.rule), `${rule.path}: ${rule.rule}`);
      assert.ok(rule.message.length > 20, `${rule.path}: ${rule.rule} needs a message a person can act on`);
    }
  });

  it('keys versions by name, documents the subresources and prints URL, Ready, Versions and Age', () => {
    const spec = inferenceServiceSchema.node.properties?.spec;
    const versions = spec?.properties?.versions;
    assert.equal(versions?.['x-kubernetes-list-type'], 'map');
    assert.deepEqual(versions?.['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(versions?.maxItems, 8);
    const [version] = inferenceServiceCrd.spec.versions;
    assert.deepEqual(version.subresources, { status: {} }, 'status only: each version scales on its own, so no scale subresource');
    assert.deepEqual(
      version.additionalPrinterColumns.map((column) => column.name),
      ['URL', 'Ready', 'Versions', 'Reason', 'Age'],
    );
    assert.deepEqual(inferenceServiceCrd.spec.names.shortNames, ['infsvc']);
    assert.ok(!inferenceServiceCrd.spec.names.shortNames.includes('isvc'), 'isvc belongs to KServe');
  });

  it('matches the hand-written TypeScript types, and the compile-time check fails on a drift', () => {
    assert.deepEqual(schemaTypeErrors(), [], 'the schema and the types agree');
    const withoutTraffic = schemaTypeErrors((types) => types.replace('  readonly traffic?: TrafficSettings;\n', ''));
    assert.ok(
      withoutTraffic.some((error) => error.includes('specMatchesTypes')),
      `a spec field missing from the types is caught: ${withoutTraffic.join('; ')}`,
    );
    const urlRequired = schemaTypeErrors((types) => types.replace('  readonly url?: string;', '  readonly url: string;'));
    assert.ok(
      urlRequired.some((error) => error.includes('statusMatchesTypes')),
      `a status field made required is caught: ${urlRequired.join('; ')}`,
    );
  });
});
