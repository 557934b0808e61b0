// The Argo CD health check for InferenceService, run on a real Lua interpreter against
// the fixtures in Argo CD's own format (health_test.yaml + testdata/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runHealthScript } from './lua.ts';

const customization = fileURLToPath(new URL('../../gitops/argocd/serving.kubeinfer.io/InferenceService/', import.meta.url));
const script = readFileSync(`${customization}health.lua`, 'utf8');

interface HealthCase {
  readonly healthStatus: { readonly status: string; readonly message: string };
  readonly inputPath: string;
}

const cases = (parse(readFileSync(`${customization}health_test.yaml`, 'utf8')) as { tests: HealthCase[] }).tests;

for (const { healthStatus, inputPath } of cases) {
  test(`health.lua: ${inputPath} is ${healthStatus.status}`, () => {
    const resource: unknown = parse(readFileSync(`${customization}${inputPath}`, 'utf8'));
    assert.deepEqual(runHealthScript(script, resource), { ok: true, value: healthStatus });
  });
}

test('health.lua: every health Argo CD can show from it has a fixture', () => {
  const covered = new Set(cases.map((c) => c.healthStatus.status));
  assert.deepEqual([...covered].sort(), ['Degraded', 'Healthy', 'Progressing']);
});

test('health.lua: odd shapes read as Progressing, never a script error', () => {
  const odd: readonly unknown[] = [
    { metadata: {}, status: {} },
    { status: { conditions: [] } },
    { metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Ready' }] } },
    { metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Stalled', status: 'Unknown' }] } },
  ];
  for (const resource of odd) {
    const result = runHealthScript(script, resource);
    assert.equal(result.ok && result.value.status, 'Progressing', JSON.stringify({ resource, result }));
  }
});

test('argocd-cm-patch.yaml registers exactly health.lua for serving.kubeinfer.io_InferenceService', () => {
  const patch = parse(readFileSync(fileURLToPath(new URL('../../gitops/argocd/argocd-cm-patch.yaml', import.meta.url)), 'utf8')) as {
    metadata: { name: string };
    data: Record<string, string>;
  };
  assert.equal(patch.metadata.name, 'argocd-cm');
  assert.equal(patch.data['resource.customizations.health.serving.kubeinfer.io_InferenceService'], script);
});
