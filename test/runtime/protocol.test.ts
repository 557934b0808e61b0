// The rest of the HTTP surface: health, server/model metadata, readiness, statistics,
// /metrics and the V1 protocol, with and without /versions/{v}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corruptModel, mlpModel, multiIoModel } from '../../tools/onnx/models.ts';
import { postJson, send, startTestServer } from './harness.ts';

test('health, server metadata and model metadata follow the Open Inference Protocol', async (t) => {
  const server = await startTestServer(t, multiIoModel(), { 'model-version': 'v2' });
  const get = (path: string) => send(server.url, 'GET', path);
  assert.deepEqual((await get('/v2/health/live')).json, { live: true });
  const ready = await get('/v2/health/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.json, { ready: true });
  const meta = await get('/v2');
  assert.equal(meta.json.name, 'kubeinfer');
  assert.deepEqual(meta.json.extensions, ['binary_tensor_data', 'classification', 'model_configuration', 'statistics']);
  const expected = {
    name: 'm',
    versions: ['v2'],
    platform: 'onnxruntime_onnx',
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [-1, 3] },
      { name: 'b', datatype: 'FP32', shape: [-1, 3] },
    ],
    outputs: [
      { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
      { name: 'product', datatype: 'FP32', shape: [-1, 3] },
      { name: 'greater', datatype: 'BOOL', shape: [-1, 3] },
    ],
  };
  assert.deepEqual((await get('/v2/models/m')).json, expected);
  assert.deepEqual((await get('/v2/models/m/versions/v2')).json, expected);
  for (const path of ['/v2/models/m/ready', '/v2/models/m/versions/v2/ready']) {
    const reply = await get(path);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { name: 'm', version: 'v2', ready: true });
  }
  const infer = await postJson(server.url, '/v2/models/m/versions/v2/infer', {
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] },
      { name: 'b', datatype: 'FP32', shape: [1, 3], data: [1, 1, 1] },
    ],
    outputs: [{ name: 'sum' }],
  });
  assert.equal(infer.json.model_version, 'v2');
  assert.deepEqual(infer.json.outputs, [{ name: 'sum', datatype: 'FP32', shape: [1, 3], data: [2, 3, 4] }]);
});

test("statistics follow Triton's schema and count successes, failures and executions", async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: [4, 2] }));
  const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] }] };
  for (let i = 0; i < 3; i++) assert.equal((await postJson(server.url, '/v2/models/m/infer', body)).status, 200);
  assert.equal((await postJson(server.url, '/v2/models/m/infer', { inputs: [] })).status, 400);
  for (const path of ['/v2/models/stats', '/v2/models/m/stats', '/v2/models/m/versions/1/stats']) {
    const stats = (await send(server.url, 'GET', path)).json.model_stats;
    assert.equal(stats.length, 1);
    const [model] = stats;
    assert.equal(model.name, 'm');
    assert.equal(model.version, '1');
    assert.equal(model.inference_count, 6);
    assert.equal(model.execution_count, 3);
    assert.ok(model.last_inference > 0);
    const inference = model.inference_stats;
    assert.deepEqual(Object.keys(inference).sort(), [
      'cache_hit',
      'cache_miss',
      'compute_infer',
      'compute_input',
      'compute_output',
      'fail',
      'queue',
      'success',
    ]);
    assert.equal(inference.success.count, 3);
    assert.equal(inference.fail.count, 1);
    assert.equal(inference.queue.count, 3);
    assert.ok(inference.compute_infer.ns > 0);
    assert.deepEqual(
      model.batch_stats.map((entry: { batch_size: number }) => entry.batch_size),
      [2],
    );
    assert.equal(model.batch_stats[0].compute_infer.count, 3);
  }
});

test('/metrics exposes request, queue, compute, batch, in-flight and load metrics by model and version', async (t) => {
  const server = await startTestServer(t, mlpModel({ layers: [4, 2] }));
  const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
  assert.equal((await postJson(server.url, '/v2/models/m/infer', body)).status, 200);
  assert.equal((await postJson(server.url, '/v2/models/m/infer', { inputs: 'x' })).status, 400);
  const reply = await send(server.url, 'GET', '/metrics');
  assert.equal(reply.status, 200);
  assert.match(String(reply.headers['content-type']), /^text\/plain/);
  const text = reply.body.toString();
  const labels = 'model="m",version="1"';
  for (const expected of [
    `kubeinfer_inference_request_success_total{${labels},protocol="rest"} 1`,
    `kubeinfer_inference_request_failure_total{${labels},protocol="rest",reason="BadRequest"} 1`,
    `kubeinfer_inference_count_total{${labels}} 1`,
    `kubeinfer_inference_exec_count_total{${labels}} 1`,
    `kubeinfer_inference_request_duration_seconds_count{${labels},protocol="rest"} 1`,
    `kubeinfer_inference_queue_duration_seconds_count{${labels}} 1`,
    `kubeinfer_inference_compute_duration_seconds_count{${labels},phase="infer"} 1`,
    `kubeinfer_inference_batch_size_count{${labels}} 1`,
    `kubeinfer_inference_inflight_requests{${labels}} 0`,
    `kubeinfer_inference_pending_requests{${labels}} 0`,
    `kubeinfer_model_ready{${labels}} 1`,
  ]) {
    assert.ok(text.includes(expected), `missing ${expected}`);
  }
  assert.match(text, new RegExp(`kubeinfer_model_load_duration_seconds\\{${labels}\\} [0-9.e-]+`));
  assert.match(text, /^process_cpu_seconds_total /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
});

test('V1: model status and predict with instances -> predictions', async (t) => {
  const single = await startTestServer(t, mlpModel({ layers: [2, 2] }));
  const status = await send(single.url, 'GET', '/v1/models/m');
  assert.deepEqual(status.json, { name: 'm', ready: true });
  const v2 = await postJson(single.url, '/v2/models/m/infer', {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }],
  });
  const v1 = await postJson(single.url, '/v1/models/m:predict', {
    instances: [
      [1, 2],
      [3, 4],
    ],
  });
  assert.equal(v1.status, 200);
  const flat = v2.json.outputs[0].data as number[];
  assert.deepEqual(v1.json, { predictions: [flat.slice(0, 2), flat.slice(2)] });

  const multi = await startTestServer(t, multiIoModel(2));
  const reply = await postJson(multi.url, '/v1/models/m:predict', {
    instances: [
      { a: [1, 5], b: [2, 4] },
      { a: [0, 0], b: [0, -1] },
    ],
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  assert.deepEqual(reply.json.predictions, [
    { sum: [3, 9], product: [2, 20], greater: [false, true] },
    { sum: [0, -1], product: [0, 0], greater: [false, true] },
  ]);
});

test('a model that fails to load leaves the server live but not ready, with the reason', async (t) => {
  const server = await startTestServer(t, corruptModel());
  const get = (path: string) => send(server.url, 'GET', path);
  assert.equal((await get('/v2/health/live')).status, 200);
  const ready = await get('/v2/health/ready');
  assert.equal(ready.status, 503);
  assert.match(ready.json.reason, /model 'm' failed to load: cannot load model .*model\.onnx/);
  const modelReady = await get('/v2/models/m/ready');
  assert.equal(modelReady.status, 503);
  assert.equal(modelReady.json.ready, false);
  assert.match(modelReady.json.error, /failed to load/);
  const meta = await get('/v2/models/m');
  assert.equal(meta.status, 503);
  assert.match(meta.json.error, /failed to load/);
  const infer = await postJson(server.url, '/v2/models/m/infer', { inputs: [] });
  assert.equal(infer.status, 503);
  assert.match(infer.json.error, /failed to load/);
  const logged = server.logs.find((line) => line.msg === 'model failed to load; the server stays not-ready');
  assert.ok(logged, JSON.stringify(server.logs));
  assert.equal(logged.level, 'error');
  assert.match(String(logged.reason), /cannot load model/);
});
