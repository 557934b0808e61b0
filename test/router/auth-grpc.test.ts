// The router's gRPC listener behind API keys, with @grpc/grpc-js as the client and real
// `kubeinfer serve` runtimes as versions: the key in metadata (`authorization: Bearer` or
// `x-api-key`), UNAUTHENTICATED and PERMISSION_DENIED with messages, a weight-0 pin needing
// a key with the scope `pin`, an audit line per call, and no credential reaching a backend.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { loadApiKeys } from '../../runtime/auth/api-keys.ts';
import { apiKeyGuard } from '../../runtime/auth/guard.ts';
import { startRouter, type Router } from '../../runtime/router/server.ts';
import { resolveServeConfig } from '../../runtime/server/config.ts';
import { startServer } from '../../runtime/server/serve.ts';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc, type GrpcClient } from '../../tools/grpc/client.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { capture } from '../capture.ts';
import { SECRET_VALUES } from '../secret-values.ts';
import { startGrpcRecorder, type GrpcRecorder } from './auth-support.ts';

const { grpcInferKey, grpcPinKey } = SECRET_VALUES;
let dir: string;
let router: Router;
let client: GrpcClient;
let recorder: GrpcRecorder;
const audit: Record<string, unknown>[] = [];
const servers: { drain(): Promise<void> }[] = [];

async function version(name: string, scale: number): Promise<string> {
  const model = join(dir, `${name}.onnx`);
  await writeFile(model, addModel({ scale, offset: 0 }));
  const grpcPort = String(await freePort());
  const config = resolveServeConfig({ model, name: 'fraud', modelVersion: name, port: '0', grpcPort, host: '127.0.0.1' }, {});
  if (!config.ok) throw new Error(config.problems.join('; '));
  const server = await startServer(config.config, () => {});
  servers.push(server);
  await server.loaded;
  return `http://127.0.0.1:${server.grpcPort}`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeinfer-auth-grpc-'));
  await writeFile(join(dir, 'keys'), `# infer only\n${grpcInferKey}\n# may pin weight-0 versions\n${grpcPinKey} pin\n`);
  recorder = await startGrpcRecorder();
  const guard = apiKeyGuard(await loadApiKeys(join(dir, 'keys')));
  router = await startRouter({ host: '127.0.0.1', port: 0, grpcPort: 0, guard, audit: (line) => audit.push({ ...line }) });
  router.apply({
    model: 'fraud',
    versions: [
      { name: 'v1', weight: 100, url: 'http://127.0.0.1:9', grpcUrl: await version('v1', 1) },
      { name: 'v2', weight: 0, url: 'http://127.0.0.1:9', grpcUrl: await version('v2', 10) },
      { name: 'recorded', weight: 0, url: 'http://127.0.0.1:9', grpcUrl: recorder.url },
    ],
    mirror: null,
  });
  client = connectGrpc(`127.0.0.1:${router.grpcPort}`);
});

after(async () => {
  client?.close();
  await router?.close(0);
  await recorder?.close();
  await Promise.all(servers.map((server) => server.drain()));
  capture('router gRPC audit', audit.map((line) => JSON.stringify(line)).join('\n'));
  await rm(dir, { recursive: true, force: true });
});

const infer = (extra: Record<string, unknown> = {}) => ({
  model_name: 'fraud',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
  ...extra,
});

function refusal(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => assert.fail('the call succeeded'),
    (error: ServiceError) => error,
  );
}

describe('router gRPC with API keys', { timeout: 60_000 }, () => {
  test('no key or a wrong key is UNAUTHENTICATED; a key as Bearer or x-api-key is served; liveness stays open', async () => {
    const none = await refusal(client.call('ModelInfer', infer(), { 'x-request-id': 'grpc-none' }));
    assert.equal(none.code, status.UNAUTHENTICATED);
    assert.equal(none.details, 'missing credential: send Authorization: Bearer <key> or x-api-key: <key>');
    const wrong = await refusal(client.call('ModelInfer', infer(), { authorization: 'Bearer not-a-key' }));
    assert.equal(wrong.code, status.UNAUTHENTICATED);
    assert.equal(wrong.details, 'invalid API key');
    assert.equal((await refusal(client.call('ModelMetadata', { name: 'fraud' }))).code, status.UNAUTHENTICATED);
    const bearer = await client.call('ModelInfer', infer(), { authorization: `Bearer ${grpcInferKey}`, 'x-request-id': 'grpc-ok' });
    assert.deepEqual([bearer.model_version, bearer.outputs.length], ['v1', 1]);
    assert.equal((await client.call('ModelInfer', infer(), { 'x-api-key': grpcInferKey })).model_version, 'v1');
    assert.equal((await client.call('ServerLive', {})).live, true);
    assert.equal(await client.health(), 'SERVING');
  });

  test('pinning a weight-0 version needs a key with the scope pin, by metadata or by the model_version field', async () => {
    const denied = await refusal(
      client.call('ModelInfer', infer(), {
        authorization: `Bearer ${grpcInferKey}`,
        'x-kubeinfer-version': 'v2',
        'x-request-id': 'grpc-pin-denied',
      }),
    );
    assert.equal(denied.code, status.PERMISSION_DENIED);
    assert.match(denied.details, /^apikey:sha256:[0-9a-f]{8} may not pin a version with weight 0 \(the key needs the scope pin\)$/);
    const byField = await refusal(client.call('ModelInfer', infer({ model_version: 'v2' }), { 'x-api-key': grpcInferKey }));
    assert.equal(byField.code, status.PERMISSION_DENIED);
    const pinned = await client.call('ModelInfer', infer(), {
      authorization: `Bearer ${grpcPinKey}`,
      'x-kubeinfer-version': 'v2',
      'x-request-id': 'grpc-pin-allowed',
    });
    assert.deepEqual(pinned.outputs[0].contents.fp32_contents, [10, 20, 30, 40]);
    assert.equal((await client.call('ModelInfer', infer({ model_version: 'v1' }), { 'x-api-key': grpcInferKey })).model_version, 'v1');
  });

  test('streams need a key too', async () => {
    const stream = client.stream();
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    stream.write(infer());
    stream.end();
    assert.equal((await ended).code, status.UNAUTHENTICATED);
    const allowed = client.stream({ 'x-api-key': grpcInferKey });
    const answers: { infer_response?: { model_version: string } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      allowed.on('data', (answer) => answers.push(answer));
      allowed.on('end', resolve);
      allowed.on('error', reject);
    });
    allowed.write(infer({ id: 's1' }));
    allowed.end();
    await done;
    assert.equal(answers[0]?.infer_response?.model_version, 'v1');
  });

  test('the credential never reaches a backend once the router checked it', async () => {
    const answer = await refusal(
      client.call('ModelInfer', infer(), { authorization: `Bearer ${grpcPinKey}`, 'x-kubeinfer-version': 'recorded' }),
    );
    assert.equal(answer.code, status.UNIMPLEMENTED, 'the call passed the check and reached the recording backend');
    const seen = recorder.headers.at(-1)!;
    assert.equal(seen.authorization, undefined);
    assert.equal(seen['x-api-key'], undefined);
    assert.equal(seen['x-kubeinfer-version'], 'recorded');
  });

  test('an audit line per call: key id, version, pin, gRPC status and bytes; never the key', () => {
    const byId = (id: string) => audit.find((line) => line.request_id === id);
    assert.deepEqual(
      ['grpc-none', 'grpc-ok', 'grpc-pin-denied', 'grpc-pin-allowed'].map((id) => {
        const line = byId(id);
        return [line?.caller, line?.version, line?.pinned, line?.status, line?.protocol];
      }),
      [
        ['unauthenticated', 'v1', false, status.UNAUTHENTICATED, 'grpc'],
        [byId('grpc-ok')?.caller, 'v1', false, status.OK, 'grpc'],
        [byId('grpc-pin-denied')?.caller, 'v2', true, status.PERMISSION_DENIED, 'grpc'],
        [byId('grpc-pin-allowed')?.caller, 'v2', true, status.OK, 'grpc'],
      ],
    );
    assert.match(String(byId('grpc-ok')?.caller), /^apikey:sha256:[0-9a-f]{8}$/);
    assert.notEqual(byId('grpc-ok')?.caller, byId('grpc-pin-allowed')?.caller);
    assert.ok(Number(byId('grpc-ok')?.bytes_in) > 0 && Number(byId('grpc-ok')?.bytes_out) > 0, JSON.stringify(byId('grpc-ok')));
    assert.equal(byId('grpc-ok')?.path, '/inference.GRPCInferenceService/ModelInfer');
    const text = JSON.stringify(audit);
    for (const key of [grpcInferKey, grpcPinKey]) assert.ok(!text.includes(key), 'a key was audited');
  });
});
