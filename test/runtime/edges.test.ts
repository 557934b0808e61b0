// Correctness at the edges: non-finite numbers keep their value, text that is not valid
// Unicode is refused rather than rewritten, absurd nesting is a counted 400, errors quote
// only a short prefix of the input, slow bodies are neither in flight nor kept forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { addModel, identityModel } from '../../tools/onnx/models.ts';
import { bytesOf, postBinary, postJson, send, startTestServer } from './harness.ts';

const INFER = '/v2/models/m/infer';

function metric(text: string, name: string, reason?: string): number {
  const line = text
    .split('\n')
    .find((entry) => entry.startsWith(`${name}{`) && (reason === undefined || entry.includes(`reason="${reason}"`)));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

test('NaN and infinities come back as NaN, Infinity and -Infinity (as Triton writes them), never null', async (t) => {
  const server = await startTestServer(t, identityModel('FP32', ['batch', 4]));
  const values = new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5]);
  const header = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] };
  const fromBinary = await postBinary(server.url, INFER, header, [bytesOf(values)]);
  assert.equal(fromBinary.status, 200, fromBinary.body.toString());
  assert.match(fromBinary.body.toString(), /"data":\[NaN,Infinity,-Infinity,1\.5\]/);
  // JSON numbers beyond float range are infinite, as JSON.parse and Python read them.
  const overflow = `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1e999,-1e999,0,2]}]}`;
  const fromJson = await send(server.url, 'POST', INFER, overflow, { 'Content-Type': 'application/json' });
  assert.match(fromJson.body.toString(), /"data":\[Infinity,-Infinity,0,2\]/);
});

test('BYTES that are not valid Unicode are refused with 400 on the binary and the JSON path', async (t) => {
  const server = await startTestServer(t, identityModel('BYTES', [2]));
  const element = (bytes: number[]) => [...new Uint8Array(new Uint32Array([bytes.length]).buffer), ...bytes];
  const blob = new Uint8Array([...element([0x6f, 0x6b]), ...element([0xff, 0xfe])]);
  const header = { inputs: [{ name: 'input', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: blob.length } }] };
  const binary = await postBinary(server.url, INFER, header, [blob]);
  assert.equal(binary.status, 400);
  assert.match(binary.json.error, /input 'input' BYTES element 1 is not valid UTF-8/);
  const json = await send(
    server.url,
    'POST',
    INFER,
    '{"inputs":[{"name":"input","datatype":"BYTES","shape":[2],"data":["ok","\\ud800"]}]}',
  );
  assert.equal(json.status, 400);
  assert.match(json.json.error, /element 1 is .+, not a valid BYTES value \(a string of well-formed Unicode\)/);
});

test('data nested 200,000 deep is a 400, counted as a failure; the server keeps serving', async (t) => {
  const server = await startTestServer(t, identityModel('FP32', [1]));
  const depth = 200_000;
  const deep = `{"inputs":[{"name":"input","datatype":"FP32","shape":[1],"data":${'['.repeat(depth)}1${']'.repeat(depth)}}]}`;
  const reply = await send(server.url, 'POST', INFER, deep, { 'Content-Type': 'application/json' });
  assert.equal(reply.status, 400, reply.body.toString().slice(0, 200));
  assert.match(reply.json.error, /nested deeper than its 1-dimensional shape/);
  const v1 = await send(server.url, 'POST', '/v1/models/m:predict', `{"instances":[${'['.repeat(depth)}1${']'.repeat(depth)}]}`);
  assert.equal(v1.status, 400, v1.body.toString().slice(0, 200));
  assert.match(v1.json.error, /tensors have at most 32 dimensions/);
  const metrics = (await send(server.url, 'GET', '/metrics')).body.toString();
  assert.equal(metric(metrics, 'kubeinfer_inference_request_failure_total', 'BadRequest'), 2);
  assert.equal((await postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1], data: [1] }] })).status, 200);
});

test('error messages quote at most a short prefix of the input', async (t) => {
  const server = await startTestServer(t, addModel());
  const name = 'x'.repeat(10 * 1024 * 1024);
  const replies = await Promise.all([
    postJson(server.url, INFER, { inputs: [{ name, datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
    postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: name, shape: [1, 4], data: [1, 2, 3, 4] }] }),
    postJson(server.url, INFER, { inputs: [{ name: 'input', datatype: 'FP32', shape: Array(100_000).fill(-1), data: [] }] }),
  ]);
  for (const reply of replies) {
    assert.equal(reply.status, 400);
    assert.ok(reply.body.length < 400, `error of ${reply.body.length} bytes: ${reply.body.toString().slice(0, 200)}`);
    assert.match(reply.json.error, /\.\.\. \(\d+ characters\)/);
  }
});

interface RawConnection {
  write(text: string): void;
  /** Resolves once what the server wrote matches `pattern`. */
  until(pattern: RegExp): Promise<string>;
  /** Resolves with everything the server wrote once it closes the connection. */
  readonly closed: Promise<string>;
}

/** A raw TCP connection to `url`, for requests no HTTP client would send. */
async function rawConnection(url: string): Promise<RawConnection> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString()));
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) await once(socket, 'data');
    return text;
  };
  return { write: (sent) => socket.write(sent), until, closed: once(socket, 'close').then(() => text) };
}

test('a body still arriving is not in flight, and one that never completes gets 408 after --request-timeout-ms', async (t) => {
  const server = await startTestServer(t, addModel(), { 'request-timeout-ms': '1500', 'headers-timeout-ms': '1000' });
  const slow = await rawConnection(server.url);
  const idle = await rawConnection(server.url);
  // Expect: 100-continue makes the server say when the request reached it; the body then never completes.
  slow.write(`POST ${INFER} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n`);
  await slow.until(/100 Continue/);
  slow.write('{"inputs":');
  const metrics = (await send(server.url, 'GET', '/metrics')).body.toString();
  assert.equal(metric(metrics, 'kubeinfer_inference_inflight_requests'), 0);
  assert.match(await slow.closed, /HTTP\/1\.1 408/);
  // A connection that never sends a request is closed after --headers-timeout-ms.
  assert.match(await idle.closed, /^HTTP\/1\.1 408/);
});
