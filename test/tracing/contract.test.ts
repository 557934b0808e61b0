// The tracing setting between the operator, which passes its --otlp-endpoint to every pod
// it builds, and serve and the router, which read it: each side run for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { CLI } from '../runtime/harness.ts';
import { desiredObjects } from '../../operator/builders/index.ts';
import { registerRoute } from '../../runtime/router/command.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { operatorOptions } from '../../operator/cli/operator.ts';
import { BUILD_OPTIONS, inferenceService } from '../contracts/fixtures.ts';

const ENDPOINT = 'http://otel-collector.observability:4318';
const isvc = () => inferenceService({ versions: [{ name: 'v1', model: { uri: 's3://models/fraud/model.onnx' } }] });

function containerEnv(objects: readonly { kind?: string; metadata: { name?: string } }[], name: string): Record<string, string> {
  const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name) as V1Deployment | undefined;
  const env = deployment?.spec?.template.spec?.containers[0]?.env ?? [];
  return Object.fromEntries(env.map((variable) => [variable.name, variable.value ?? '']));
}

test('the operator hands its OTLP endpoint to serve and to the router, and each reads it', () => {
  const objects = desiredObjects(isvc(), { ...BUILD_OPTIONS, otlpEndpoint: ENDPOINT });
  const serveEnv = containerEnv(objects, 'fraud-v1');
  const resolved = resolveServeConfig({}, serveEnv);
  assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.problems));
  assert.equal(resolved.config.otlpEndpoint, ENDPOINT);

  const routerEnv = containerEnv(objects, 'fraud-router');
  const program = new Command();
  registerRoute(program);
  const option = program.commands.find((command) => command.name() === 'route')?.options.find((entry) => entry.long === '--otlp-endpoint');
  assert.ok(option?.envVar, '`kubeinfer route` reads the endpoint from a variable');
  assert.equal(routerEnv[option.envVar], ENDPOINT);
});

test('without an endpoint, no pod gets a tracing variable', () => {
  const objects = desiredObjects(isvc(), BUILD_OPTIONS);
  for (const name of ['fraud-v1', 'fraud-router'])
    assert.deepEqual(
      Object.keys(containerEnv(objects, name)).filter((key) => key.includes('OTLP')),
      [],
    );
});

test('a malformed endpoint is a clear error for serve, route and the operator, never a crash later', () => {
  const route = spawnSync(process.execPath, [CLI, 'route', '--config-file', 'router.json', '--otlp-endpoint', 'collector:4318'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(route.status, 2);
  assert.match(route.stderr, /kubeinfer route: --otlp-endpoint must be an http\(s\) URL, got "collector:4318"/);
  const serve = resolveServeConfig({ model: 'm.onnx', name: 'm', otlpEndpoint: 'collector:4318' }, {});
  assert.equal(serve.ok, false);
  assert.match(!serve.ok ? serve.problems.join() : '', /--otlp-endpoint must be an http\(s\) URL, got "collector:4318"/);
  const flags = {
    runtimeImage: 'i',
    metricsPort: '8080',
    healthPort: '8081',
    bindAddress: '0.0.0.0',
    leaderElect: false,
    leaderElectionId: 'x',
    leaderElectionLeaseSeconds: '15',
    workers: '1',
    resyncSeconds: '60',
    clusterDomain: 'cluster.local',
    otlpEndpoint: 'ftp://collector',
  };
  assert.match(String(operatorOptions(flags, new KubeConfig(), 'default')), /--otlp-endpoint must be an http\(s\) URL/);
});
