// The router configuration between its writers (the operator's ConfigMap, local mode's
// file) and its reader (the router's parser): what the writers build is what the router
// accepts, and a split that does not add up to 100 is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouterConfigText, ROUTER_CONFIG_KEY } from '../../contracts/index.ts';
import { routerConfigMap } from '../../operator/builders/router-config.ts';
import { planLocalRun, routerConfigFor } from '../../runtime/local/plan.ts';
import { inferenceService } from './fixtures.ts';

const SPECS: readonly Record<string, unknown>[] = [
  { versions: [{ name: 'v1', model: { uri: 's3://models/fraud/1/model.onnx' } }] },
  {
    versions: [
      { name: 'v1', model: { uri: 's3://models/fraud/1/model.onnx' }, weight: 90 },
      { name: 'v2', model: { uri: 's3://models/fraud/2/model.onnx' }, weight: 10 },
      { name: 'shadow', model: { uri: 's3://models/fraud/3/model.onnx' } },
    ],
    traffic: { mirror: { version: 'shadow' } },
  },
];

test('the router accepts the configuration the operator writes, with the defaulted mirror share', () => {
  for (const spec of SPECS) {
    const text = routerConfigMap(inferenceService(spec)).data?.[ROUTER_CONFIG_KEY] ?? '';
    const parsed = parseRouterConfigText(text);
    assert.ok(parsed.ok, `${text}: ${JSON.stringify(!parsed.ok && parsed.problems)}`);
    assert.deepEqual(parsed.value, JSON.parse(text), 'nothing is lost or rewritten on the way');
  }
  const mirrored = parseRouterConfigText(routerConfigMap(inferenceService(SPECS[1]!)).data?.[ROUTER_CONFIG_KEY] ?? '');
  assert.deepEqual(mirrored.ok && mirrored.value.mirror, { version: 'shadow', percent: 100 });
});

test('the router accepts the configuration local mode writes', () => {
  for (const spec of SPECS) {
    const planned = planLocalRun(inferenceService(spec));
    assert.ok(planned.ok);
    const urls = new Map(
      planned.plan.versions.map((version, i) => [
        version.name,
        { url: `http://127.0.0.1:${9000 + i}`, grpcUrl: `http://127.0.0.1:${9100 + i}` },
      ]),
    );
    const parsed = parseRouterConfigText(JSON.stringify(routerConfigFor(planned.plan, urls)));
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  }
});

test('a split that does not sum to 100 is refused, under or over', () => {
  for (const weights of [
    [60, 30],
    [0, 0],
    [90, 20],
  ]) {
    const config = {
      model: 'fraud',
      versions: weights.map((weight, i) => ({ name: `v${i + 1}`, weight, url: `http://fraud-v${i + 1}.ml.svc:80` })),
      mirror: null,
    };
    const parsed = parseRouterConfigText(JSON.stringify(config));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    assert.deepEqual(parsed, { ok: false, problems: [`versions: weights must sum to 100, got ${total}`] });
  }
});
