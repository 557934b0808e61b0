import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBalancer, createPercentGate } from '../../runtime/router/balancer.ts';
import { parseRouterConfig, parseRouterConfigText, type RouterConfig } from '../../contracts/index.ts';
import { createRouterMetrics } from '../../runtime/router/metrics.ts';
import { resolveRoute } from '../../runtime/router/route.ts';
import { buildRoutingTable as buildTable } from '../../runtime/router/table.ts';
import type { RoutingTable } from '../../runtime/router/table.ts';

const metrics = createRouterMetrics(false);
const buildRoutingTable = (routerConfig: RouterConfig, previous?: RoutingTable) => buildTable(routerConfig, metrics, previous);

function picks(weights: [string, number][], count: number): string[] {
  const balancer = createBalancer(weights);
  return Array.from({ length: count }, () => balancer.next()!);
}

function tally(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

test('smooth weighted round-robin lands exactly on the weights every 100 picks', () => {
  assert.deepEqual(
    tally(
      picks(
        [
          ['v1', 90],
          ['v2', 10],
        ],
        10_000,
      ),
    ),
    { v1: 9000, v2: 1000 },
  );
  assert.deepEqual(
    tally(
      picks(
        [
          ['a', 70],
          ['b', 20],
          ['c', 10],
        ],
        1000,
      ),
    ),
    { a: 700, b: 200, c: 100 },
  );
  // Even the first 10 requests follow 90/10.
  assert.deepEqual(
    tally(
      picks(
        [
          ['v1', 90],
          ['v2', 10],
        ],
        10,
      ),
    ),
    { v1: 9, v2: 1 },
  );
});

test('picks are interleaved, not sent in bursts', () => {
  const sequence = picks(
    [
      ['v1', 50],
      ['v2', 50],
    ],
    8,
  );
  assert.deepEqual(sequence, ['v1', 'v2', 'v1', 'v2', 'v1', 'v2', 'v1', 'v2']);
  const canary = picks(
    [
      ['v1', 80],
      ['v2', 20],
    ],
    100,
  );
  const gaps = canary.flatMap((name, i) => (name === 'v2' ? [i] : [])).map((at, i, all) => (i === 0 ? at : at - all[i - 1]!));
  assert.ok(
    gaps.slice(1).every((gap) => gap === 5),
    `v2 every 5th request, got gaps ${gaps.join(',')}`,
  );
});

test('versions with weight 0 are never picked; no positive weight picks nothing', () => {
  assert.deepEqual(
    tally(
      picks(
        [
          ['v1', 100],
          ['v2', 0],
        ],
        50,
      ),
    ),
    { v1: 50 },
  );
  assert.equal(createBalancer([['v1', 0]]).next(), undefined);
});

test('the percent gate opens for exactly that percent, evenly spaced', () => {
  const gate = createPercentGate(20);
  const opened = Array.from({ length: 1000 }, () => gate.take());
  assert.equal(opened.filter(Boolean).length, 200);
  assert.deepEqual(opened.slice(0, 10), [false, false, false, false, true, false, false, false, false, true]);
  assert.equal(Array.from({ length: 100 }, () => createPercentGate(0).take()).some(Boolean), false);
});

const config: RouterConfig = {
  model: 'fraud',
  versions: [
    { name: 'v1', weight: 90, url: 'http://fraud-v1.ml.svc:80' },
    { name: 'v2', weight: 10, url: 'http://fraud-v2.ml.svc:80' },
    { name: 'v3', weight: 0, url: 'http://fraud-v3.ml.svc:80' },
  ],
  mirror: { version: 'v3', percent: 20 },
};

test('a valid configuration parses to the same object', () => {
  assert.deepEqual(parseRouterConfigText(JSON.stringify(config)), { ok: true, value: config });
  const withSlash = parseRouterConfig({ ...config, versions: [{ name: 'v1', weight: 100, url: 'http://x:80/' }], mirror: null });
  assert.ok(withSlash.ok && withSlash.value.versions[0]!.url === 'http://x:80');
});

test('an invalid configuration lists every problem', () => {
  const result = parseRouterConfig({
    model: '',
    versions: [
      { name: 'v1', weight: 90.5, url: 'https://x' },
      { name: 'V_2', weight: 10, url: 'http://x/path' },
    ],
    mirror: { version: 'v9', percent: 120 },
  });
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.problems, [
    'model: must be a non-empty string',
    'versions[0].weight: must be an integer from 0 to 100',
    'versions[0].url: "https://x" must use http:// (backends are in-cluster Services or local runtimes)',
    'versions[1].name: must be a DNS label such as "v1"',
    'versions[1].url: "http://x/path" must be a base URL without a path or query',
    'mirror.version: must name one of the versions ()',
    'mirror.percent: must be an integer from 0 to 100',
  ]);
  const sum = parseRouterConfig({
    model: 'm',
    versions: [
      { name: 'a', weight: 60, url: 'http://a' },
      { name: 'a', weight: 60, url: 'http://b' },
    ],
    mirror: null,
  });
  assert.deepEqual(!sum.ok && sum.problems, ['versions[1].name: duplicate version "a"', 'versions: weights must sum to 100, got 120']);
  assert.deepEqual(parseRouterConfigText('{'), {
    ok: false,
    problems: ["configuration is not valid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)"],
  });
});

test('routes: path and header pins, model check, weighted picks', () => {
  const table = buildRoutingTable(config);
  const route = (url: string, pin?: string, method = 'POST') => resolveRoute(method, url, pin, table);
  assert.deepEqual(route('/v2/models/fraud/versions/v3/infer'), { kind: 'proxy', version: 'v3', pinned: true });
  assert.deepEqual(route('/v2/models/fraud/versions/v2'), { kind: 'proxy', version: 'v2', pinned: true });
  assert.deepEqual(route('/v1/models/fraud:predict', 'v3'), { kind: 'proxy', version: 'v3', pinned: true });
  assert.deepEqual(route('/v2/models/fraud/versions/v2/infer', 'v2'), { kind: 'proxy', version: 'v2', pinned: true });
  assert.deepEqual(route('/v2/models/fraud/infer?x=1'), { kind: 'proxy', version: 'v1', pinned: false });
  assert.deepEqual(route('/v2', undefined, 'GET'), { kind: 'proxy', version: 'v1', pinned: false });
  assert.deepEqual(route('/v2/models/fraud/versions/v9/infer'), {
    kind: 'reject',
    status: 404,
    message: 'version "v9" of model "fraud" is not served here (versions: v1, v2, v3)',
  });
  assert.deepEqual(route('/v2/models/fraud/versions/v1/infer', 'v2'), {
    kind: 'reject',
    status: 400,
    message: 'the request pins version "v1" but the x-kubeinfer-version header asks for "v2"',
  });
  assert.deepEqual(route('/v2/models/other/infer'), {
    kind: 'reject',
    status: 404,
    message: 'model "other" is not served here; this endpoint serves model "fraud"',
  });
  assert.deepEqual(route('/v1/models/other:predict'), {
    kind: 'reject',
    status: 404,
    message: 'model "other" is not served here; this endpoint serves model "fraud"',
  });
  assert.deepEqual(route('/admin'), {
    kind: 'reject',
    status: 404,
    message: 'no route for /admin: this router serves the /v2 and /v1 inference APIs',
  });
});

test('reads are split by their own balancer, so they never skew the inference split', () => {
  const table = buildRoutingTable({ ...config, mirror: null });
  const picks: string[] = [];
  for (let i = 0; i < 100; i++) {
    resolveRoute('GET', '/v2/models/fraud/ready', undefined, table);
    const route = resolveRoute('POST', '/v2/models/fraud/infer', undefined, table);
    if (route.kind === 'proxy') picks.push(route.version);
  }
  assert.deepEqual(tally(picks), { v1: 90, v2: 10 });
});

test('re-applying the same weights keeps the interleaving; new weights restart it', () => {
  const first = buildRoutingTable(config);
  first.balancer.next();
  assert.equal(buildRoutingTable({ ...config }, first).balancer, first.balancer);
  assert.equal(buildRoutingTable(config, first).mirror!.gate, first.mirror!.gate);
  const shifted = {
    ...config,
    versions: [{ ...config.versions[0]!, weight: 50 }, { ...config.versions[1]!, weight: 50 }, config.versions[2]!],
  };
  assert.notEqual(buildRoutingTable(shifted, first).balancer, first.balancer);
});
