// The `kubeinfer serve` settings between the operator (and local mode), which set
// KUBEINFER_* variables from spec.runtime, and serve, which reads them. Each side is run
// for real: the builder's pod env is fed to serve's own config resolution.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferenceServiceSchema, resolveVersions } from '../../api/index.ts';
import type { SchemaNode } from '../../api/schema-builder.ts';
import { DEFAULT_MAX_BATCH_SIZE, OPTIMIZED_MODEL_CACHE_DIR, SERVE_SETTINGS } from '../../contracts/index.ts';
import { runtimeEnv as localRuntimeEnv } from '../../runtime/local/plan.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { inferenceService, versionPod } from './fixtures.ts';

const runtimeNode = inferenceServiceSchema.node.properties?.spec?.properties?.runtime;

/** Every leaf field of spec.runtime, as a dotted path, with its schema node. */
function runtimeLeaves(node: SchemaNode | undefined, prefix = ''): [string, SchemaNode][] {
  return Object.entries(node?.properties ?? {}).flatMap(([name, child]) =>
    child.type === 'object' ? runtimeLeaves(child, `${prefix}${name}.`) : [[`${prefix}${name}`, child] as [string, SchemaNode]],
  );
}

// A spec that sets every runtime field to a value different from serve's default.
const EVERY_FIELD = {
  workers: 3,
  batching: { maxBatchSize: 16, preferredBatchSize: 8, maxQueueDelayMicros: 500 },
  session: {
    intraOpThreads: 2,
    interOpThreads: 3,
    executionMode: 'parallel',
    graphOptimizationLevel: 'extended',
    memoryArena: false,
    memoryPattern: false,
    cacheOptimizedModel: true,
  },
  maxQueueSize: 64,
  maxRequestBytes: 2048,
  maxBodyBytesInFlight: 1 << 20,
  executionProvider: 'cpu',
};
const withEveryField = () =>
  inferenceService({ versions: [{ name: 'v1', model: { uri: 's3://models/fraud/model.onnx' } }], runtime: EVERY_FIELD });

test('every field spec.runtime can carry is a serve setting, within the range serve accepts', () => {
  const leaves = runtimeLeaves(runtimeNode);
  assert.ok(leaves.length >= 6, 'the walk reaches the runtime fields');
  for (const [field, node] of leaves) {
    const setting = SERVE_SETTINGS.find((candidate) => 'specField' in candidate && candidate.specField === field);
    assert.ok(setting, `spec.runtime.${field} has a serve setting`);
    if ('integer' in setting) {
      const [min, max] = setting.integer;
      assert.ok(
        (node.minimum ?? -Infinity) >= min && (node.maximum ?? Infinity) <= max,
        `spec.runtime.${field} range fits ${setting.env} ${min}..${max}`,
      );
    }
    if ('choices' in setting) {
      const offered = node.type === 'boolean' ? ['true', 'false'] : node.enum;
      assert.deepEqual(offered, setting.choices, `spec.runtime.${field} offers what ${setting.env} accepts`);
    }
    if ('whenTrue' in setting) assert.equal(node.type, 'boolean', `spec.runtime.${field} switches ${setting.env} on`);
  }
});

test('every variable the operator sets is one serve reads, with the value the spec holds', () => {
  const pod = versionPod(withEveryField(), 'v1');
  const env = Object.fromEntries((pod.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
  const readByServe = new Set<string>(SERVE_SETTINGS.map((setting) => setting.env));
  for (const name of Object.keys(env)) assert.ok(readByServe.has(name), `${name} is read by kubeinfer serve`);
  const resolved = resolveServeConfig({}, env);
  assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.problems));
  assert.deepEqual(
    {
      workers: resolved.config.workers,
      maxBatchSize: resolved.config.maxBatchSize,
      preferredBatchSize: resolved.config.preferredBatchSize,
      maxQueueDelayMicros: resolved.config.maxQueueDelayMicros,
      intraOpThreads: resolved.config.intraOpThreads,
      interOpThreads: resolved.config.interOpThreads,
      executionMode: resolved.config.executionMode,
      graphOptimizationLevel: resolved.config.graphOptimizationLevel,
      memoryArena: resolved.config.memoryArena,
      memoryPattern: resolved.config.memoryPattern,
      optimizedModelCache: resolved.config.optimizedModelCache,
      maxQueueSize: resolved.config.maxQueueSize,
      maxRequestBytes: resolved.config.maxRequestBytes,
      maxBodyBytesInFlight: resolved.config.maxBodyBytesInFlight,
      executionProvider: resolved.config.executionProvider,
    },
    {
      workers: 3,
      maxBatchSize: 16,
      preferredBatchSize: 8,
      maxQueueDelayMicros: 500,
      intraOpThreads: 2,
      interOpThreads: 3,
      executionMode: 'parallel',
      graphOptimizationLevel: 'extended',
      memoryArena: 'false',
      memoryPattern: 'false',
      optimizedModelCache: OPTIMIZED_MODEL_CACHE_DIR,
      maxQueueSize: 64,
      maxRequestBytes: 2048,
      maxBodyBytesInFlight: 1 << 20,
      executionProvider: 'cpu',
    },
    'serve ends up with every spec.runtime value',
  );
  assert.deepEqual(
    [resolved.config.modelPath, resolved.config.modelName, resolved.config.modelVersion, resolved.config.port],
    ['/mnt/models/model.onnx', 'fraud', 'v1', 8080],
  );
});

test('local mode gives serve the same runtime variables as the operator', () => {
  const isvc = withEveryField();
  const podEnv = versionPod(isvc, 'v1').containers[0]?.env ?? [];
  const local = localRuntimeEnv(resolveVersions(isvc.spec)[0]!);
  for (const [name, value] of Object.entries(local)) assert.equal(podEnv.find((variable) => variable.name === name)?.value, value, name);
  const fromSpec = SERVE_SETTINGS.filter((setting) => 'specField' in setting).map((setting) => setting.env);
  assert.deepEqual(Object.keys(local).sort(), [...fromSpec].sort());
});

test('a spec without runtime settings gets serve defaults: batching on, one intra-op thread, no cache', () => {
  const pod = versionPod(inferenceService({ versions: [{ name: 'v1', model: { uri: 's3://models/fraud/model.onnx' } }] }), 'v1');
  const env = Object.fromEntries((pod.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
  const resolved = resolveServeConfig({}, env);
  assert.ok(resolved.ok, JSON.stringify(!resolved.ok && resolved.problems));
  assert.deepEqual(
    [resolved.config.maxBatchSize, resolved.config.preferredBatchSize, resolved.config.intraOpThreads, resolved.config.optimizedModelCache],
    [DEFAULT_MAX_BATCH_SIZE, 0, 1, undefined],
  );
  assert.ok(DEFAULT_MAX_BATCH_SIZE > 1, 'the default batch size turns batching on');
});
