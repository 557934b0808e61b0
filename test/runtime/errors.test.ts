// Every malformed request gets a 4xx with {"error": "..."} naming the problem, and the
// server keeps serving afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { multiIoModel, fixedShapeModel } from '../../tools/onnx/models.ts';
import { postBinary, postJson, send, startTestServer, type Reply } from './harness.ts';

const INFER = '/v2/models/m/infer';

function assertProblem(reply: Reply, status: number, pattern: RegExp): void {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.body.toString()}`);
  assert.equal(reply.headers['content-type'], 'application/json');
  assert.equal(typeof reply.json?.error, 'string', reply.body.toString());
  assert.match(reply.json.error, pattern);
}

const a = (extra: Record<string, unknown> = {}) => ({ name: 'a', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3], ...extra });
const b = (extra: Record<string, unknown> = {}) => ({ name: 'b', datatype: 'FP32', shape: [1, 3], data: [4, 5, 6], ...extra });

test('V2 JSON requests: each problem is named in a 400/404', async (t) => {
  const server = await startTestServer(t, multiIoModel());
  const cases: [unknown, number, RegExp][] = [
    [{ inputs: [a({ datatype: 'FP64' }), b()] }, 400, /input 'a' has datatype FP64 but the model expects FP32/],
    [{ inputs: [a({ datatype: 'FLOAT' }), b()] }, 400, /input 'a' has datatype "FLOAT"/],
    [{ inputs: [a({ shape: [1, 4], data: [1, 2, 3, 4] }), b()] }, 400, /input 'a' has shape \[1,4\] but the model expects \[-1,3\]/],
    [{ inputs: [a({ shape: [3], data: [1, 2, 3] }), b()] }, 400, /input 'a' has shape \[3\]/],
    [{ inputs: [a({ shape: [2, 3] }), b()] }, 400, /input 'a' has 3 data elements but its shape needs 6/],
    [{ inputs: [a({ shape: [1, -3] }), b()] }, 400, /input 'a' shape must be an array of non-negative integers/],
    [{ inputs: [a()] }, 400, /missing input 'b'/],
    [{ inputs: [a(), b(), { ...a(), name: 'c' }] }, 400, /unknown input 'c'; the model's inputs are 'a', 'b'/],
    [{ inputs: [a(), a(), b()] }, 400, /input 'a' is given more than once/],
    [
      { inputs: [a(), b()], outputs: [{ name: 'nope' }] },
      400,
      /unknown output 'nope'; the model's outputs are 'sum', 'product', 'greater'/,
    ],
    [
      { inputs: [a(), b()], outputs: [{ name: 'sum', parameters: { classification: -1 } }] },
      400,
      /parameters.classification must be a positive integer/,
    ],
    [{ inputs: [a({ data: [1, 'x', 3] }), b()] }, 400, /input 'a' element 1 is "x", not a valid FP32 value/],
    [{ inputs: [a({ data: undefined }), b()] }, 400, /input 'a' has no "data"/],
    [{ inputs: [a({ parameters: { binary_data_size: 12 } }), b()] }, 400, /input 'a' has both "data" and parameters.binary_data_size/],
    [{ inputs: 'a' }, 400, /"inputs" array/],
    [{ id: 5, inputs: [a(), b()] }, 400, /"id" must be a string/],
    [[1, 2], 400, /must be a JSON object/],
    [{ inputs: [a(), b()], parameters: { binary_data_output: 'yes' } }, 400, /binary_data_output must be a boolean/],
  ];
  for (const [body, status, pattern] of cases) {
    assertProblem(await postJson(server.url, INFER, body), status, pattern);
  }
  assertProblem(await send(server.url, 'POST', INFER, '{"inputs": [', { 'Content-Type': 'application/json' }), 400, /JSON is malformed/);
  assertProblem(await send(server.url, 'POST', INFER, ''), 400, /request body is empty/);
  const ok = await postJson(server.url, INFER, { inputs: [a(), b()] });
  assert.equal(ok.status, 200, 'the server still answers after bad requests');
});

test('integer ranges are checked per datatype', async (t) => {
  const { identityModel } = await import('../../tools/onnx/models.ts');
  const server = await startTestServer(t, identityModel('INT8', [2]));
  const cases: [unknown[], RegExp][] = [
    [[1, 128], /element 1 is 128, not a valid INT8 value/],
    [[1.5, 0], /element 0 is 1.5, not a valid INT8 value/],
    [[true, 0], /element 0 is true, not a valid INT8 value/],
  ];
  for (const [data, pattern] of cases) {
    assertProblem(await postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'INT8', shape: [2], data }] }), 400, pattern);
  }
});

test('binary framing problems are named', async (t) => {
  const server = await startTestServer(t, multiIoModel());
  const blob = new Uint8Array(12);
  const header = { inputs: [a({ data: undefined, parameters: { binary_data_size: 12 } }), b()] };
  const json = Buffer.from(JSON.stringify(header));
  const body = Buffer.concat([json, blob]);
  const raw = (length: string, payload: Buffer = body) =>
    send(server.url, 'POST', INFER, payload, { 'Inference-Header-Content-Length': length });
  assertProblem(await raw(String(body.length + 1)), 400, /Inference-Header-Content-Length is '\d+' but must be .* no larger than the body/);
  assertProblem(await raw('abc'), 400, /Inference-Header-Content-Length is 'abc'/);
  assertProblem(await raw(String(json.length - 1)), 400, /JSON \(the first \d+ bytes, per Inference-Header-Content-Length\) is malformed/);
  assertProblem(
    await raw(String(json.length), Buffer.concat([body, Buffer.alloc(4)])),
    400,
    /16 bytes of binary data but the inputs' binary_data_size add up to 12/,
  );
  assertProblem(
    await raw(String(json.length), body.subarray(0, body.length - 2)),
    400,
    /input 'a' binary_data_size is 12 but only 10 bytes of binary data remain/,
  );
  assertProblem(
    await postBinary(server.url, INFER, { inputs: [a({ data: undefined, parameters: { binary_data_size: 8 } }), b()] }, [
      new Uint8Array(8),
    ]),
    400,
    /input 'a' has 8 bytes of binary data but its shape needs 3 FP32 elements \(12 bytes\)/,
  );
  assertProblem(
    await postBinary(server.url, INFER, { inputs: [a({ data: undefined, parameters: { binary_data_size: -1 } }), b()] }, []),
    400,
    /binary_data_size must be a non-negative integer/,
  );
});

test('BYTES binary framing problems are named', async (t) => {
  const { identityModel } = await import('../../tools/onnx/models.ts');
  const server = await startTestServer(t, identityModel('BYTES', [2]));
  const input = (size: number) => ({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: size } }] });
  const truncated = Buffer.from([5, 0, 0, 0, 104, 105]);
  assertProblem(await postBinary(server.url, INFER, input(6), [truncated]), 400, /BYTES element 0 claims 5 bytes but only 2 remain/);
  assertProblem(await postBinary(server.url, INFER, input(2), [Buffer.from([1, 0])]), 400, /ends inside a 4-byte length prefix/);
  assertProblem(
    await postBinary(server.url, INFER, input(5), [Buffer.from([1, 0, 0, 0, 65])]),
    400,
    /has 1 BYTES elements but its shape needs 2/,
  );
});

test('unknown models, versions and routes are 404 with JSON', async (t) => {
  const server = await startTestServer(t, multiIoModel());
  const get = (path: string) => send(server.url, 'GET', path);
  assertProblem(
    await postJson(server.url, '/v2/models/other/infer', { inputs: [] }),
    404,
    /unknown model 'other'; this server serves model 'm'/,
  );
  assertProblem(
    await postJson(server.url, '/v2/models/m/versions/9/infer', { inputs: [] }),
    404,
    /unknown version '9' of model 'm'; this server serves version '1'/,
  );
  assertProblem(await get('/v2/models/other'), 404, /unknown model 'other'/);
  assertProblem(await get('/v2/models/m/versions/2'), 404, /unknown version '2'/);
  assertProblem(await get('/v2/models/other/ready'), 404, /unknown model/);
  assertProblem(await get('/v2/models/other/config'), 404, /unknown model/);
  assertProblem(await get('/v2/models/m/versions/3/stats'), 404, /unknown version '3'/);
  assertProblem(await get('/v1/models/other'), 404, /unknown model 'other'/);
  assertProblem(await postJson(server.url, '/v1/models/other:predict', { instances: [] }), 404, /unknown model 'other'/);
  assertProblem(await postJson(server.url, '/v1/models/m:explain', { instances: [] }), 404, /unknown V1 verb 'explain'/);
  assertProblem(await get('/nope'), 404, /no route for GET \/nope/);
  assertProblem(await get('/v2/models/m/infer'), 404, /no route for GET \/v2\/models\/m\/infer/);
});

test('V1 predict problems are named', async (t) => {
  const server = await startTestServer(t, multiIoModel());
  const predict = (body: unknown) => postJson(server.url, '/v1/models/m:predict', body);
  assertProblem(await predict({ inputs: [1] }), 400, /non-empty "instances" array/);
  assertProblem(await predict({ instances: [[1, 2, 3]] }), 400, /instance 0 must be an object keyed by input name/);
  assertProblem(await predict({ instances: [{ a: [1, 2, 3] }] }), 400, /instance 0 has no input 'b'/);
  assertProblem(
    await predict({
      instances: [
        { a: [1, 2, 3], b: [1, 2, 3] },
        { a: [1, 2], b: [1, 2, 3] },
      ],
    }),
    400,
    /instance 1 input 'a' has shape \[2\] but instance 0 input 'a' has \[3\]/,
  );
  assertProblem(await send(server.url, 'POST', '/v1/models/m:predict', 'not json'), 400, /JSON is malformed/);
});

test('bodies over the limit get 413; unsupported encodings 415; gzip bodies are accepted', async (t) => {
  const server = await startTestServer(t, fixedShapeModel(), { 'max-request-bytes': '1024' });
  const big = { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }], padding: 'x'.repeat(2000) };
  assertProblem(
    await postJson(server.url, INFER, big),
    413,
    /over the limit of 1024 bytes \(--max-request-bytes \/ KUBEINFER_MAX_REQUEST_BYTES\)/,
  );
  const small = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] });
  assertProblem(
    await send(server.url, 'POST', INFER, small, { 'Content-Encoding': 'compress' }),
    415,
    /unsupported content encoding "compress"/,
  );
  const gzipped = await send(server.url, 'POST', INFER, gzipSync(small), { 'Content-Encoding': 'gzip' });
  assert.equal(gzipped.status, 200);
  assert.deepEqual(gzipped.json.outputs[0].data, [3, 6, 9, 12, 15, 18]);
});

test('clients that disconnect mid-request or send garbage do not disturb the server', async (t) => {
  const { connect } = await import('node:net');
  const { mlpModel } = await import('../../tools/onnx/models.ts');
  const server = await startTestServer(t, mlpModel({ layers: [256, 1024, 1024, 256] }), { workers: '1' });
  const { port } = new URL(server.url);
  const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [64, 256], data: new Array(64 * 256).fill(0.5) }] });
  const raw = (text: string, closeAfterMs: number) =>
    new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(text);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, closeAfterMs);
      });
      socket.on('error', () => resolve());
    });
  const request = `POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  await Promise.all([
    ...Array.from({ length: 8 }, () => raw(request + body, 5)),
    raw(request + body.slice(0, 100), 20),
    raw('GARBAGE / HTTP/9\r\n\r\n', 20),
    raw(`POST /v2/models/m/infer HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz`, 20),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await send(server.url, 'GET', '/v2/health/ready')).status, 200);
  assert.equal((await postJson(server.url, INFER, JSON.parse(body))).status, 200);
});
