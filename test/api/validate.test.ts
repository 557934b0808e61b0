// Offline validation: the corpus verdicts, defaults, the apiserver's ordering of
// errors, and multi-document manifests with line numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { checkManifests, loadInferenceServices, loadManifests, validateInferenceService } from '../../api/index.ts';
import type { InferenceService } from '../../api/index.ts';
import { badCases, goodCases } from './corpus.ts';

const base = { apiVersion: 'serving.kubeinfer.io/v1alpha1', kind: 'InferenceService', metadata: { name: 'fraud', namespace: 'ml' } };
const v1 = { name: 'v1', model: { uri: 's3://acme-models/fraud/v1/model.onnx' } };

function messages(obj: unknown): string[] {
  const result = validateInferenceService(obj);
  return result.ok ? [] : result.problems.map((problem) => `${problem.path}: ${problem.message}`);
}

function valid(obj: unknown): InferenceService {
  const result = validateInferenceService(obj);
  assert.ok(result.ok, JSON.stringify(result));
  return result.value;
}

describe('validateInferenceService', () => {
  it('accepts every example and good corpus manifest', () => {
    for (const file of goodCases()) {
      const check = checkManifests(file.text);
      assert.deepEqual(check.problems, [], file.path);
      assert.ok(check.checked >= 1, `${file.path} holds no InferenceService`);
    }
  });

  it('refuses every bad corpus manifest with the expected message', () => {
    const cases = badCases();
    assert.ok(cases.length >= 25, `the corpus needs at least 25 bad manifests, has ${cases.length}`);
    for (const bad of cases) {
      const found = messages(parse(bad.text));
      assert.ok(
        found.some((message) => message.includes(bad.expect)),
        `${bad.path}: expected "${bad.expect}" in ${JSON.stringify(found)}`,
      );
    }
  });

  it('applies the CRD defaults where their parent is present', () => {
    const value = valid({
      ...base,
      spec: {
        versions: [
          { ...v1, weight: 100 },
          { ...v1, name: 'v2', weight: 0 },
        ],
        resources: { requests: { cpu: '1' } },
        autoscaling: { maxReplicas: 4 },
        gpu: { products: ['Tesla-T4'] },
        traffic: { mirror: { version: 'v2' } },
      },
    });
    assert.deepEqual(value.spec.autoscaling, { maxReplicas: 4, minReplicas: 1, metric: 'cpu', engine: 'hpa' });
    assert.deepEqual(value.spec.gpu, { products: ['Tesla-T4'], count: 1 });
    assert.deepEqual(value.spec.traffic?.mirror, { version: 'v2', percent: 100 });
    assert.deepEqual(value.spec.router, { replicas: 2 });
    assert.equal(value.spec.runtime, undefined, 'no defaults invented for absent blocks');
  });

  it('drops null fields the way the apiserver prunes them', () => {
    const value = valid({ ...base, spec: { versions: [{ ...v1, weight: null }], runtime: null } });
    assert.equal(value.spec.versions[0]?.weight, undefined);
    assert.equal(value.spec.runtime, undefined);
  });

  it('reports only unknown fields, as strict decoding refuses the request before validation', () => {
    assert.deepEqual(messages({ ...base, spec: { versions: [{ ...v1, wieght: 100 }], gpu: { count: 99 } } }), [
      'spec.versions[0].wieght: unknown field "spec.versions[0].wieght"',
    ]);
  });

  it('skips the CEL rules after a blocking schema error, like the apiserver, and says so', () => {
    const found = messages({
      ...base,
      spec: {
        versions: [
          { ...v1, weight: 'lots' },
          { ...v1, name: 'v2', weight: 5 },
        ],
      },
    });
    assert.equal(found.length, 2, JSON.stringify(found));
    assert.match(found[0] ?? '', /spec\.versions\[0\]\.weight: Invalid value: "string": .* must be of type integer/u);
    assert.match(found[1] ?? '', /some validation rules were not checked/u);
  });

  it('still runs the CEL rules after a non-blocking error such as a bound', () => {
    const found = messages({ ...base, spec: { versions: [{ ...v1, weight: 150 }] } });
    assert.ok(found.some((message) => message.includes('should be less than or equal to 100')));
    assert.ok(found.some((message) => message.includes('version weights must sum to 100')));
  });

  it('checks apiVersion, kind and metadata like the apiserver does outside the schema', () => {
    const found = messages({ apiVersion: 'serving.kubeinfer.io/v1', kind: 'InferenceService', metadata: {}, spec: { versions: [v1] } });
    assert.ok(
      found.some((message) => message.startsWith('apiVersion: Unsupported value: "serving.kubeinfer.io/v1"')),
      JSON.stringify(found),
    );
    assert.ok(found.some((message) => message.startsWith('metadata.name: Required value')));
    assert.deepEqual(messages('fraud'), [': an InferenceService must be an object']);
  });

  it('runs the spec rules for a generateName manifest', () => {
    const found = messages({
      ...base,
      metadata: { generateName: 'fraud-' },
      spec: {
        versions: [
          { ...v1, weight: 50 },
          { ...v1, name: 'v2', weight: 10 },
        ],
      },
    });
    assert.deepEqual(
      found.map((message) => message.split(':')[0]),
      ['spec.versions'],
    );
  });

  it('ignores status on input, as the status subresource does, and keeps it in the value', () => {
    const status = { observedGeneration: 'not validated', url: 7 };
    const value = valid({ ...base, spec: { versions: [v1] }, status });
    assert.deepEqual(value.status, status);
  });
});

describe('loadManifests', () => {
  const stream = [
    '# leading comment',
    'apiVersion: v1',
    'kind: Namespace',
    'metadata: {name: ml}',
    '---',
    'apiVersion: serving.kubeinfer.io/v1alpha1',
    'kind: InferenceService',
    'metadata: {name: fraud}',
    'spec:',
    '  versions:',
    '    - name: v1',
    '      model: {uri: "s3://acme-models/fraud/v1/model.onnx"}',
    '      weight: 90',
    '---',
    '---',
    'apiVersion: serving.kserve.io/v1beta1',
    'kind: InferenceService',
    'metadata: {name: kserve-one}',
    'spec: {predictor: {}}',
  ].join('\n');

  it('splits documents, skips empty ones, and leaves KServe InferenceServices alone', () => {
    const loaded = loadManifests(stream);
    assert.ok(loaded.ok);
    assert.deepEqual(
      loaded.documents.map((document) => document.index),
      [1, 2, 4],
    );
    const check = checkManifests(stream);
    assert.equal(check.checked, 1);
    assert.equal(check.skipped, 2);
  });

  it('points each problem at the line of its field', () => {
    const check = checkManifests(stream);
    assert.deepEqual(
      check.problems.map(({ document, line, path, object }) => ({ document, line, path, object })),
      [{ document: 2, line: 10, path: 'spec.versions', object: 'InferenceService fraud' }],
    );
  });

  it('expands kind: List and reports YAML syntax errors with their line', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { ...base, spec: { versions: [v1] } },
        { ...base, metadata: { name: 'b' }, spec: { versions: [v1] } },
      ],
    };
    const loaded = loadInferenceServices(JSON.stringify(list));
    assert.ok(loaded.ok);
    assert.deepEqual(
      loaded.services.map((service) => service.metadata.name),
      ['fraud', 'b'],
    );
    const broken = loadManifests('apiVersion: v1\nkind: [unclosed\n');
    assert.ok(!broken.ok);
    assert.match(broken.problems[0]?.message ?? '', /^YAML: /u);
    assert.equal(broken.problems[0]?.document, 1);
  });
});
