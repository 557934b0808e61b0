// The gRPC service from a Node gRPC client: typed contents for every datatype that has a
// contents field, FP16 raw only, health, status codes for limits and load shedding, the
// protocol label in /metrics, and the drain on shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc, type GrpcClient } from '../../tools/grpc/client.ts';
import { everyTypeModel, identityModel, mlpModel, type OnnxElemType } from '../../tools/onnx/models.ts';
import { bytesOf, send, startTestServer } from './harness.ts';

// A model slow enough (tens of ms per request on one thread) to keep a queue standing.
const SLOW_LAYERS = [512, 2048, 2048, 512];
const slowRequest = {
  model_name: 'm',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [32, 512] }],
  raw_input_contents: [bytesOf(new Float32Array(32 * 512).fill(0.5))],
};

async function serveGrpc(
  t: import('node:test').TestContext,
  model: Uint8Array,
  flags: Record<string, string> = {},
): Promise<{ client: GrpcClient; url: string; drain(): Promise<void> }> {
  const server = await startTestServer(t, model, { 'grpc-port': String(await freePort()), ...flags });
  const client = connectGrpc(server.grpcAddress);
  t.after(() => client.close());
  return { client, url: server.url, drain: server.drain };
}

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => assert.fail('the call succeeded'),
    (error: ServiceError) => error,
  );
}

// Typed contents as protobuf carries them: 64-bit integers as decimal strings, BYTES as bytes.
const TYPED: Partial<Record<OnnxElemType, { field: string; values: unknown[] }>> = {
  BOOL: { field: 'bool_contents', values: [true, false, false, true] },
  UINT8: { field: 'uint_contents', values: [0, 255, 1, 2] },
  UINT16: { field: 'uint_contents', values: [0, 65535, 1, 2] },
  UINT32: { field: 'uint_contents', values: [0, 4294967295, 1, 2] },
  UINT64: { field: 'uint64_contents', values: ['0', '18446744073709551615', '1', '2'] },
  INT8: { field: 'int_contents', values: [-128, 127, 0, -1] },
  INT16: { field: 'int_contents', values: [-32768, 32767, 0, -1] },
  INT32: { field: 'int_contents', values: [-2147483648, 2147483647, 0, -1] },
  INT64: { field: 'int64_contents', values: ['-9223372036854775808', '9223372036854775807', '0', '-1'] },
  FP32: { field: 'fp32_contents', values: [0.5, -2.25, 1024, 0] },
  FP64: { field: 'fp64_contents', values: [0.5, -2.25, 1.7e308, 1e-300] },
  BYTES: { field: 'bytes_contents', values: ['hello', '', 'grüße', 'x'.repeat(300)].map((text) => Buffer.from(text)) },
};

test('typed contents round-trip every datatype that has a contents field, answered in typed contents', async (t) => {
  const types = Object.keys(TYPED) as OnnxElemType[];
  const { client } = await serveGrpc(t, everyTypeModel(types));
  const inputs = types.map((type) => ({
    name: `in_${type}`,
    datatype: type,
    shape: [2, 2],
    contents: { [TYPED[type]!.field]: TYPED[type]!.values },
  }));
  const response = await client.call('ModelInfer', { model_name: 'm', id: 'typed-1', inputs });
  assert.equal(response.id, 'typed-1');
  assert.equal(response.raw_output_contents.length, 0);
  for (const type of types) {
    const output = response.outputs.find((o: { name: string }) => o.name === `out_${type}`);
    assert.deepEqual(output.shape, ['2', '2'], type);
    assert.deepEqual(output.contents[TYPED[type]!.field], TYPED[type]!.values, type);
  }
});

test('FP16 travels only raw; typed-contents mistakes get INVALID_ARGUMENT with what to do', async (t) => {
  const { client } = await serveGrpc(t, identityModel('FP16', ['batch', 2]));
  const half = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]); // 1, -2, 65504, the smallest subnormal
  const raw = await client.call('ModelInfer', {
    model_name: 'm',
    inputs: [{ name: 'input', datatype: 'FP16', shape: [2, 2] }],
    raw_input_contents: [bytesOf(half)],
  });
  assert.deepEqual(new Uint16Array(new Uint8Array(raw.raw_output_contents[0]).buffer), half);
  const typed = await refusal(
    client.call('ModelInfer', {
      model_name: 'm',
      inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
    }),
  );
  assert.equal(typed.code, status.INVALID_ARGUMENT);
  assert.equal(typed.details, "input 'input' is FP16, which has no typed contents field; send it in raw_input_contents");
  const both = await refusal(
    client.call('ModelInfer', {
      model_name: 'm',
      inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 2], contents: { int_contents: [1, 2] } }],
      raw_input_contents: [bytesOf(half.subarray(0, 2))],
    }),
  );
  assert.equal(both.details, "input 'input' has both contents and raw_input_contents; give one");
  const counted = await refusal(
    client.call('ModelInfer', {
      model_name: 'm',
      inputs: [
        { name: 'input', datatype: 'FP16', shape: [1, 2] },
        { name: 'x', datatype: 'FP16', shape: [1, 2] },
      ],
      raw_input_contents: [bytesOf(half)],
    }),
  );
  assert.match(counted.details, /the request has 1 raw_input_contents but 2 inputs/);
  const version = await refusal(client.call('ModelInfer', { model_name: 'm', model_version: '9', inputs: [] }));
  assert.equal(version.code, status.NOT_FOUND);
  assert.equal(version.details, "unknown version '9' of model 'm'; this server serves version '1'");
});

test('classification: the output parameter classification (int64) answers the top-k classes, as on REST', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeinfer-grpc-labels-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'labels.txt'), 'cat\ndog\n\nbird\n');
  const { client } = await serveGrpc(t, identityModel('FP32', ['batch', 5]), { labels: join(dir, 'labels.txt') });
  const input = { name: 'input', datatype: 'FP32', shape: [1, 5], contents: { fp32_contents: [0.1, 0.9, 0.3, 0.2, 0.05] } };
  const classify = (k: unknown) => ({ model_name: 'm', inputs: [input], outputs: [{ name: 'output', parameters: { classification: k } }] });
  const typed = await client.call('ModelInfer', classify({ int64_param: '2' }));
  assert.equal(typed.outputs[0].datatype, 'BYTES');
  assert.deepEqual(typed.outputs[0].contents.bytes_contents.map(String), ['0.900000:1:dog', '0.300000:2']);
  const raw = await client.call('ModelInfer', {
    ...classify({ int64_param: '1' }),
    inputs: [{ ...input, contents: undefined }],
    raw_input_contents: [bytesOf(new Float32Array([0.1, 0.9, 0.3, 0.2, 0.05]))],
  });
  assert.equal(Buffer.from(raw.raw_output_contents[0]).subarray(4).toString(), '0.900000:1:dog');
  const bad = await refusal(client.call('ModelInfer', classify({ int64_param: '0' })));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
  assert.match(bad.details, /parameters\.classification must be a positive integer/);
});

test('health: SERVING for the server and the inference service, NOT_FOUND for other services', async (t) => {
  const { client } = await serveGrpc(t, mlpModel({ layers: [4, 2] }));
  assert.equal(await client.health(), 'SERVING');
  assert.equal(await client.health('inference.GRPCInferenceService'), 'SERVING');
  const unknown = await refusal(client.health('other.Service'));
  assert.equal(unknown.code, status.NOT_FOUND);
  assert.equal((await client.call('ServerReady', {})).ready, true);
});

test('a message over --max-request-bytes gets RESOURCE_EXHAUSTED; a full queue gets UNAVAILABLE with REST words; /metrics counts by protocol', async (t) => {
  const small = await serveGrpc(t, mlpModel({ layers: [4, 2] }), { 'max-request-bytes': '1024' });
  const big = {
    model_name: 'm',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [512, 4] }],
    raw_input_contents: [bytesOf(new Float32Array(2048))],
  };
  assert.equal((await refusal(small.client.call('ModelInfer', big))).code, status.RESOURCE_EXHAUSTED);

  const slow = await serveGrpc(t, mlpModel({ layers: SLOW_LAYERS }), { workers: '1', 'intra-op-threads': '1', 'max-queue-size': '2' });
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () =>
      slow.client.call('ModelInfer', slowRequest).then(
        () => undefined,
        (error: ServiceError) => error,
      ),
    ),
  );
  const shed = outcomes.filter((outcome) => outcome !== undefined);
  assert.ok(shed.length > 0 && shed.length <= 7, `shed ${shed.length} of 10`);
  for (const error of shed) {
    assert.equal(error!.code, status.UNAVAILABLE);
    assert.equal(error!.details, 'the request queue is full (2 pending requests); retry later');
  }
  const metrics = (await send(slow.url, 'GET', '/metrics')).body.toString();
  assert.ok(
    metrics.includes(`kubeinfer_inference_request_success_total{model="m",version="1",protocol="grpc"} ${10 - shed.length}`),
    metrics,
  );
  assert.ok(
    metrics.includes(`kubeinfer_inference_request_failure_total{model="m",version="1",protocol="grpc",reason="QueueFull"} ${shed.length}`),
  );
  assert.ok(metrics.includes('kubeinfer_inference_inflight_requests{model="m",version="1"} 0'));
});

test('drain: health turns NOT_SERVING and a call already in flight still succeeds', { timeout: 60_000 }, async (t) => {
  const server = await serveGrpc(t, mlpModel({ layers: SLOW_LAYERS }), { workers: '1', 'intra-op-threads': '1' });
  const inFlight = Array.from({ length: 3 }, () => server.client.call('ModelInfer', slowRequest));
  // The calls share one connection, so once the server holds one it holds all three.
  while (
    !/kubeinfer_inference_inflight_requests\{model="m",version="1"\} [1-9]/.test(
      (await send(server.url, 'GET', '/metrics')).body.toString(),
    )
  ) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const drained = server.drain();
  assert.equal(await server.client.health(), 'NOT_SERVING');
  assert.equal((await server.client.call('ServerReady', {})).ready, false);
  for (const response of await Promise.all(inFlight)) assert.equal(response.outputs[0].name, 'output');
  await drained;
});
