// The chart's one tracing value: `tracing.otlpEndpoint` becomes the operator's --otlp-endpoint
// (which it hands to every pod); empty leaves tracing off; a non-URL is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHelm, findManifest, type Helm } from '../ship/helm.ts';

let helm: Helm;
before(async () => {
  helm = await createHelm();
});
after(() => helm?.dispose());

async function operatorArgs(values: unknown): Promise<string[]> {
  const result = await helm.template(values);
  if (!result.ok) assert.fail(`helm template failed:\n${result.stderr}`);
  const deployment = findManifest(result.manifests, 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  return deployment.spec.template.spec.containers[0]!.args;
}

test('tracing.otlpEndpoint reaches the operator as --otlp-endpoint; unset, no flag', async () => {
  const traced = await operatorArgs({ tracing: { otlpEndpoint: 'http://otel-collector.observability:4318' } });
  assert.ok(traced.includes('--otlp-endpoint=http://otel-collector.observability:4318'), traced.join(' '));
  const plain = await operatorArgs({});
  assert.ok(!plain.some((arg) => arg.startsWith('--otlp-endpoint')));
});

test('a tracing.otlpEndpoint that is not an http(s) URL is refused', async () => {
  const result = await helm.template({ tracing: { otlpEndpoint: 'otel-collector:4318' } });
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.stderr, /otlpEndpoint/);
});
