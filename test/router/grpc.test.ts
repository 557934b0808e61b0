// The router's gRPC side against real runtimes: the weighted split exact over 1,000 calls,
// pinning by the model_version field and by metadata, streaming with ids, the mirror,
// health, per-version metrics, and Triton's own gRPC client through it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect, constants } from 'node:http2';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { RouterConfig } from '../../contracts/index.ts';
import { startRouter, type Router } from '../../runtime/router/server.ts';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc, type GrpcClient } from '../../tools/grpc/client.ts';
import { addModel, everyTypeModel } from '../../tools/onnx/models.ts';
import { startTestServer, type TestServer } from '../runtime/harness.ts';
import { metricValue, send } from './support.ts';

const PYTHON = process.env.PYTHON ?? 'python3';
const TRITON_SCRIPT = fileURLToPath(new URL('../runtime/tritonclient_grpc_check.py', import.meta.url));

async function version(t: TestContext, name: string, model: Uint8Array, flags: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer(t, model, { name: 'fraud', 'model-version': name, 'grpc-port': String(await freePort()), ...flags });
}

async function routerFor(
  t: TestContext,
  servers: Readonly<Record<string, TestServer>>,
  weights: Readonly<Record<string, number>>,
  mirror: RouterConfig['mirror'] = null,
): Promise<{ router: Router; client: GrpcClient }> {
  const router = await startRouter({ host: '127.0.0.1', port: 0, grpcPort: 0 });
  t.after(() => router.close(0));
  router.apply({
    model: 'fraud',
    versions: Object.entries(servers).map(([name, server]) => ({
      name,
      weight: weights[name] ?? 0,
      url: server.url,
      grpcUrl: `http://${server.grpcAddress}`,
    })),
    mirror,
  });
  const client = connectGrpc(`127.0.0.1:${router.grpcPort}`);
  t.after(() => client.close());
  return { router, client };
}

const infer = (extra: Record<string, unknown> = {}) => ({
  model_name: 'fraud',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
  ...extra,
});

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => assert.fail('the call succeeded'),
    (error: ServiceError) => error,
  );
}

test('ModelInfer through the router: 90/10 lands exactly 900/100 over 1,000 calls; pins by field and metadata; per-version metrics', {
  timeout: 120_000,
}, async (t) => {
  const servers = {
    v1: await version(t, 'v1', addModel({ scale: 1, offset: 0 })),
    v2: await version(t, 'v2', addModel({ scale: 10, offset: 0 })),
  };
  const { router, client } = await routerFor(t, servers, { v1: 90, v2: 10 });
  const counts: Record<string, number> = {};
  for (let batch = 0; batch < 10; batch++) {
    const answers = batch > 0 ? await Promise.all(Array.from({ length: 100 }, () => client.call('ModelInfer', infer()))) : [];
    // First batch: a read before each call. Reads take their picks from the read balancer and leave the inference split alone.
    for (let i = 0; batch === 0 && i < 100; i++) {
      assert.equal((await client.call('ModelReady', { name: 'fraud' })).ready, true);
      answers.push(await client.call('ModelInfer', infer()));
    }
    for (const answer of answers) {
      const expected = answer.model_version === 'v1' ? [1, 2, 3, 4] : [10, 20, 30, 40];
      assert.deepEqual(answer.outputs[0].contents.fp32_contents, expected);
      counts[answer.model_version] = (counts[answer.model_version] ?? 0) + 1;
    }
  }
  assert.deepEqual(counts, { v1: 900, v2: 100 });
  const pinnedByField = await Promise.all(Array.from({ length: 20 }, () => client.call('ModelInfer', infer({ model_version: 'v2' }))));
  assert.ok(pinnedByField.every((answer) => answer.model_version === 'v2'));
  const pinnedByMetadata = await Promise.all(
    Array.from({ length: 20 }, () => client.call('ModelInfer', infer(), { 'x-kubeinfer-version': 'v2' })),
  );
  assert.ok(pinnedByMetadata.every((answer) => answer.model_version === 'v2'));
  const metadata = await client.call('ModelMetadata', { name: 'fraud', version: 'v1' });
  assert.deepEqual(metadata.versions, ['v1']);

  const conflict = await refusal(client.call('ModelInfer', infer({ model_version: 'v1' }), { 'x-kubeinfer-version': 'v2' }));
  assert.equal(conflict.code, status.INVALID_ARGUMENT);
  assert.equal(conflict.details, 'the request pins version "v1" but the x-kubeinfer-version header asks for "v2"');
  const unknownVersion = await refusal(client.call('ModelInfer', infer({ model_version: 'v9' })));
  assert.equal(unknownVersion.code, status.NOT_FOUND);
  assert.equal(unknownVersion.details, 'version "v9" of model "fraud" is not served here (versions: v1, v2)');
  const unknownModel = await refusal(client.call('ModelInfer', infer({ model_name: 'other' })));
  assert.equal(unknownModel.code, status.NOT_FOUND);
  const badShape = await refusal(
    client.call(
      'ModelInfer',
      infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3, 4] } }] }),
    ),
  );
  assert.equal(badShape.code, status.INVALID_ARGUMENT, 'a runtime status passes through unchanged');
  assert.equal(badShape.details, "input 'input' has 4 data elements but its shape needs 3");

  assert.equal(await client.health(), 'SERVING');
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  const calls = (v: string, code: string) =>
    metricValue(metrics, 'kubeinfer_router_grpc_requests_total', { version: v, method: 'ModelInfer', code });
  assert.equal(calls('v1', '0'), 900);
  assert.equal(calls('v2', '0'), 140);
  assert.equal(calls('v1', String(status.INVALID_ARGUMENT)) + calls('v2', String(status.INVALID_ARGUMENT)), 1);
});

test('ModelStreamInfer through the router: every answer with its id, the stream pinned as a whole', { timeout: 60_000 }, async (t) => {
  const servers = {
    v1: await version(t, 'v1', addModel({ scale: 1, offset: 0 })),
    v2: await version(t, 'v2', addModel({ scale: 10, offset: 0 })),
  };
  const { client } = await routerFor(t, servers, { v1: 50, v2: 50 });
  for (const [metadata, expected] of [
    [{ 'x-kubeinfer-version': 'v2' }, 'v2'],
    [{}, undefined],
  ] as const) {
    const stream = client.stream(metadata);
    const answers: { id: string; version: string; error: string }[] = [];
    stream.on('data', (message) =>
      answers.push({ id: message.infer_response?.id, version: message.infer_response?.model_version, error: message.error_message }),
    );
    const ended = new Promise((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 20; i++) stream.write(infer({ id: `r${i}` }));
    stream.write(infer({ id: 'bad', model_name: 'fraud', inputs: [] }));
    stream.end();
    await ended;
    const served = answers.filter((answer) => answer.error === '');
    assert.deepEqual(served.map((answer) => answer.id).sort(), Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    assert.equal(new Set(served.map((answer) => answer.version)).size, 1, 'one stream, one version');
    if (expected !== undefined) assert.equal(served[0]!.version, expected);
    assert.deepEqual(
      answers.filter((answer) => answer.error !== '').map((answer) => answer.error),
      ["missing input 'input'; the model's inputs are 'input'"],
    );
  }
});

test('clients that cancel mid-call or send malformed messages do not hurt the router; a version that is down gets UNAVAILABLE', {
  timeout: 60_000,
}, async (t) => {
  const servers = { v1: await version(t, 'v1', addModel({ scale: 1, offset: 0 })) };
  const { router, client } = await routerFor(t, servers, { v1: 100 });
  const session = connect(`http://127.0.0.1:${router.grpcPort}`);
  t.after(() => session.destroy());
  const headers = {
    ':method': 'POST',
    ':path': '/inference.GRPCInferenceService/ModelInfer',
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  const message = Buffer.from([0, 0, 0, 0, 8, 0x0a, 0x05, ...Buffer.from('fraud'), 0x2a]); // field 5 (inputs) cut short
  const endings: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    const call = session.request(headers);
    call.on('error', () => {});
    endings.push(once(call, 'close'));
    // Cancel before, during and after the router has read the first message (and forwarded it).
    if (i % 4 === 0) call.close(constants.NGHTTP2_CANCEL);
    else if (i % 4 === 1) {
      call.write(message.subarray(0, 3));
      setImmediate(() => call.close(constants.NGHTTP2_CANCEL));
    } else if (i % 4 === 2) call.end(message);
    else {
      call.write(message);
      setTimeout(() => call.close(constants.NGHTTP2_CANCEL), 20);
    }
  }
  await Promise.all(endings);
  const answer = await client.call('ModelInfer', infer());
  assert.deepEqual(answer.outputs[0].contents.fp32_contents, [1, 2, 3, 4]);
  assert.equal(await client.health(), 'SERVING');

  // A version nobody listens for: UNAVAILABLE naming it, counted per version.
  router.apply({
    model: 'fraud',
    versions: [{ name: 'v1', weight: 100, url: servers.v1.url, grpcUrl: `http://127.0.0.1:${await freePort()}` }],
    mirror: null,
  });
  const down = await refusal(client.call('ModelInfer', infer()));
  assert.equal(down.code, status.UNAVAILABLE);
  assert.equal(down.details, 'version "v1" is unavailable: ECONNREFUSED');
  const metrics = (await send(`${router.url}/metrics`)).body.toString();
  assert.equal(metricValue(metrics, 'kubeinfer_router_backend_errors_total', { version: 'v1', reason: 'unavailable' }), 1);
});

test('tritonclient[grpc] through the router, with every unpinned ModelInfer mirrored to a weight-0 version', {
  timeout: 120_000,
}, async (t) => {
  const batching = { 'max-batch-size': '8', 'max-queue-delay-micros': '1000' };
  const servers = {
    v1: await version(t, 'v1', everyTypeModel(), batching),
    shadow: await version(t, 'shadow', everyTypeModel(), batching),
  };
  const { router } = await routerFor(t, servers, { v1: 100, shadow: 0 }, { version: 'shadow', percent: 100 });
  const run = await promisify(execFile)(PYTHON, [TRITON_SCRIPT, `127.0.0.1:${router.grpcPort}`, 'fraud', 'v1'], {
    encoding: 'utf8',
    timeout: 120_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) =>
    assert.fail(`tritonclient check failed: ${error.message}\n${error.stdout}\n${error.stderr}`),
  );
  assert.equal(run.stdout.trim(), 'ok');
  // Copies finish after the answers the client already has: wait until none is in flight.
  const count = async () => {
    const metrics = (await send(`${router.url}/metrics`)).body.toString();
    const copies = (code: string) => metricValue(metrics, 'kubeinfer_router_mirror_requests_total', { version: 'shadow', code });
    const answered = metricValue(metrics, 'kubeinfer_router_grpc_requests_total', { version: 'v1', method: 'ModelInfer' });
    return {
      answered,
      copied: copies('grpc-0') + copies(`grpc-${status.INVALID_ARGUMENT}`),
      mirrored: copies('grpc-0'),
      primary: metricValue(metrics, 'kubeinfer_router_grpc_requests_total', { version: 'v1', method: 'ModelInfer', code: '0' }),
    };
  };
  let counted = await count();
  for (let wait = 0; wait < 250 && counted.copied < counted.answered; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    counted = await count();
  }
  const { mirrored, primary } = counted;
  assert.ok(primary >= 10, `primary ${primary}`);
  const shadowStats = (await send(`${servers.shadow.url}/v2/models/fraud/stats`)).body.toString();
  assert.equal(mirrored, primary, `mirrored ${mirrored} of ${primary}`);
  assert.equal(JSON.parse(shadowStats).model_stats[0].inference_stats.success.count, primary);
});
