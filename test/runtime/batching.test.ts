// Dynamic batching under concurrency: on by default, a lone request never waits for company,
// every response belongs to its request, requests that cannot share an execution are kept
// apart, a request that breaks the model fails alone, and turning batching off still serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';
import { buildModel, identityModel, mlpModel, seededRandom } from '../../tools/onnx/models.ts';
import { postJson, send, startTestServer } from './harness.ts';

const ort = await loadOnnxRuntime();
const INFER = '/v2/models/m/infer';

interface Stats {
  inference_count: number;
  execution_count: number;
  inference_stats: { queue: { count: number; ns: number } };
  batch_stats: { batch_size: number }[];
}

async function stats(url: string): Promise<Stats> {
  const reply = await send(url, 'GET', '/v2/models/m/stats');
  return reply.json.model_stats[0];
}

test('concurrent requests of different batch sizes are batched and split back exactly', async (t) => {
  const model = mlpModel({ layers: [8, 16, 4] });
  const server = await startTestServer(t, model, { 'max-batch-size': '8', workers: '1' });
  const session = await ort.InferenceSession.create(model);
  t.after(() => session.release());
  const next = seededRandom(3);
  const requests = Array.from({ length: 48 }, (_, i) => {
    const rows = (i % 3) + 1;
    return { rows, data: Array.from({ length: rows * 8 }, () => next()) };
  });
  const replies = await Promise.all(
    requests.map((r, i) =>
      postJson(server.url, INFER, {
        id: `r${i}`,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [r.rows, 8], data: r.data }],
      }),
    ),
  );
  for (const [i, reply] of replies.entries()) {
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    assert.equal(reply.json.id, `r${i}`);
    const { rows, data } = requests[i]!;
    const expected = await session.run({ input: new ort.Tensor('float32', Float32Array.from(data), [rows, 8]) });
    assert.deepEqual(reply.json.outputs[0].shape, [rows, 4]);
    const got = reply.json.outputs[0].data as number[];
    const want = Array.from(expected.output!.data as Float32Array);
    // Batched Gemm may sum in a different order than a single-row run: allow float rounding.
    for (const [k, value] of got.entries()) {
      const wanted = want[k] ?? Number.NaN;
      assert.ok(Math.abs(value - wanted) <= 1e-5 * Math.max(1, Math.abs(wanted)), `request ${i} element ${k}: ${value} vs ${wanted}`);
    }
  }
  const summary = await stats(server.url);
  assert.equal(
    summary.inference_count,
    requests.reduce((sum, r) => sum + r.rows, 0),
  );
  assert.ok(summary.execution_count < requests.length, `expected fewer executions than requests, got ${summary.execution_count}`);
  assert.ok(
    summary.batch_stats.some((entry) => entry.batch_size > 3),
    JSON.stringify(summary.batch_stats),
  );
  assert.ok(
    summary.batch_stats.every((entry) => entry.batch_size <= 8),
    'no execution exceeds max_batch_size',
  );
});

test('requests whose non-batch dimensions differ never share an execution', async (t) => {
  const server = await startTestServer(t, identityModel('FP32', ['batch', 'width']), {
    'max-batch-size': '16',
    'max-queue-delay-micros': '5000',
    workers: '1',
  });
  const replies = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const width = (i % 3) + 1;
      const data = Array.from({ length: width }, (_, k) => i * 10 + k);
      return postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, width], data }] }).then((reply) => ({
        reply,
        data,
        width,
      }));
    }),
  );
  for (const { reply, data, width } of replies) {
    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    assert.deepEqual(reply.json.outputs[0], { name: 'output', datatype: 'FP32', shape: [1, width], data });
  }
});

test('a request that makes the model fail inside a batch fails alone', async (t) => {
  const gather = buildModel({
    inputs: [{ name: 'indices', type: 'INT64', dims: ['batch'] }],
    outputs: [{ name: 'output', type: 'FP32', dims: ['batch'] }],
    nodes: [{ op: 'Gather', inputs: ['table', 'indices'], outputs: ['output'] }],
    initializers: [{ name: 'table', type: 'FP32', dims: [10], data: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90] }],
  });
  const server = await startTestServer(t, gather, { 'max-batch-size': '32', 'max-queue-delay-micros': '20000', workers: '1' });
  const indices = [1, 2, 99, 3, 4, 5];
  const replies = await Promise.all(
    indices.map((index) => postJson(server.url, INFER, { inputs: [{ name: 'indices', datatype: 'INT64', shape: [1], data: [index] }] })),
  );
  for (const [i, reply] of replies.entries()) {
    if (indices[i] === 99) {
      assert.equal(reply.status, 400);
      assert.match(reply.json.error, /^inference failed: .*indices/i);
    } else {
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      assert.deepEqual(reply.json.outputs[0].data, [indices[i]! * 10]);
    }
  }
});

test('config reports dynamic batching and max_batch_size with batch-less dims', async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: [8, 4] }), {
    'max-batch-size': '16',
    'max-queue-delay-micros': '300',
    workers: '2',
  });
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.equal(config.max_batch_size, 16);
  assert.deepEqual(config.input, [
    {
      name: 'input',
      data_type: 'TYPE_FP32',
      format: 'FORMAT_NONE',
      dims: [8],
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    },
  ]);
  assert.deepEqual(config.output[0].dims, [4]);
  assert.deepEqual(config.dynamic_batching, { preferred_batch_size: [], max_queue_delay_microseconds: 300, preserve_ordering: false });
  assert.equal(config.instance_group[0].count, 2);
  assert.equal(config.instance_group[0].kind, 'KIND_CPU');
});

const oneRow = (value: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 8], data: new Array(8).fill(value) }] });

// Without a preferred batch size the queue delay must not hold anyone: were it honoured, each
// request would wait 60 s and the test's timeout would end it.
test('batching is on by default, and a lone request does not wait out the queue delay', { timeout: 30_000 }, async (t) => {
  const delayMicros = 60_000_000;
  const server = await startTestServer(t, mlpModel({ layers: [8, 4] }), { 'max-queue-delay-micros': String(delayMicros), workers: '1' });
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.equal(config.max_batch_size, 32, 'a model with a dynamic batch dimension is batched by default');
  for (const value of [1, 2, 3]) assert.equal((await postJson(server.url, INFER, oneRow(value))).status, 200);
  const summary = await stats(server.url);
  assert.equal(summary.execution_count, 3);
  assert.deepEqual(
    summary.batch_stats.map((entry) => entry.batch_size),
    [1],
  );
  assert.ok(summary.inference_stats.queue.ns < 3 * delayMicros * 1000, `queued ${summary.inference_stats.queue.ns} ns in all`);
});

test('--max-batch-size 0 turns batching off: every request is its own execution', async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: [8, 4] }), { 'max-batch-size': '0', workers: '1' });
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.equal(config.max_batch_size, 0);
  assert.equal(config.dynamic_batching, undefined);
  const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => postJson(server.url, INFER, oneRow(i))));
  assert.ok(replies.every((reply) => reply.status === 200));
  const summary = await stats(server.url);
  assert.equal(summary.execution_count, 24);
  assert.deepEqual(
    summary.batch_stats.map((entry) => entry.batch_size),
    [1],
  );
});

test('a preferred batch size is reported in config as Triton reports it', async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: [8, 4] }), {
    'preferred-batch-size': '4',
    'max-queue-delay-micros': '100',
    workers: '1',
  });
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.deepEqual(config.dynamic_batching, { preferred_batch_size: [4], max_queue_delay_microseconds: 100, preserve_ordering: false });
});

test('a model whose dynamic first dimension is not a batch is served unbatched, not refused', async (t) => {
  // Reshape to a fixed [1, 4]: one row works, two rows cannot.
  const oneRowOnly = buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: ['rows', 4] }],
    outputs: [{ name: 'output', type: 'FP32', dims: [1, 4] }],
    nodes: [{ op: 'Reshape', inputs: ['input', 'shape'], outputs: ['output'] }],
    initializers: [{ name: 'shape', type: 'INT64', dims: [2], data: [1n, 4n] }],
  });
  const server = await startTestServer(t, oneRowOnly, { workers: '1' });
  const config = (await send(server.url, 'GET', '/v2/models/m/config')).json;
  assert.equal(config.max_batch_size, 0, 'the batch-2 warm-up failed, so batching is off');
  const replies = await Promise.all(
    [1, 2, 3].map((value) =>
      postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [value, value, value, value] }] }),
    ),
  );
  assert.deepEqual(
    replies.map((reply) => [reply.status, reply.json.outputs?.[0]?.data[0]]),
    [
      [200, 1],
      [200, 2],
      [200, 3],
    ],
  );
});
