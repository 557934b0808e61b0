// fetch-model is not a request-forgery tool: `kubeinfer fetch-model` as the init
// container runs it, against real http servers on loopback. Each refusal must
// exit 1 with a clear message, publish nothing, and never read a foreign answer
// or a secret back into the logs or the termination message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { jsonLines, runFetchModelCli, type FetchModelRun } from './cli-process.ts';
import { capture } from '../capture.ts';
import { SECRET_VALUES } from '../secret-values.ts';
import { listTree, modelBytes, startHttpServer, tempDir, type Running } from '../../tools/storage/servers.ts';

const MODEL = modelBytes(100_000);
const { egressInternalAnswer: INTERNAL_ANSWER, egressBearer: BEARER, egressSignature: SIGNATURE } = SECRET_VALUES;

let origin: Running;
let internal: Running;
let work: { dir: string; remove(): Promise<void> };
const internalHits: string[] = [];
const originAuthorization: (string | undefined)[] = [];

function originRoute(req: IncomingMessage, res: ServerResponse): void {
  originAuthorization.push(req.headers.authorization);
  const url = new URL(req.url!, 'http://x');
  if (url.pathname === '/model.onnx') return void res.writeHead(200, { 'content-length': MODEL.length }).end(MODEL);
  if (url.pathname === '/to-internal.onnx') return void res.writeHead(302, { location: `${internal.url}/status.onnx` }).end();
  if (url.pathname === '/to-metadata.onnx')
    return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam' }).end();
  if (url.pathname === '/error.onnx') return void res.writeHead(500, { 'content-type': 'text/plain' }).end(INTERNAL_ANSWER);
  res.writeHead(404).end(INTERNAL_ANSWER);
}

function internalRoute(req: IncomingMessage, res: ServerResponse): void {
  internalHits.push(req.url!);
  if (req.url === '/status.onnx')
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ note: INTERNAL_ANSWER }));
  res.writeHead(403).end(INTERNAL_ANSWER);
}

before(async () => {
  work = await tempDir();
  origin = await startHttpServer(originRoute);
  internal = await startHttpServer(internalRoute);
});

after(async () => {
  await origin?.stop();
  await internal?.stop();
  await work?.remove();
});

let runs = 0;
interface Outcome extends FetchModelRun {
  readonly terminationLog: string;
  readonly published: string[];
  /** Everything a person (or `kubectl logs` / `kubectl describe pod`) can read. */
  readonly visible: string;
}

async function fetchModelCli(uri: string, flags: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  runs += 1;
  const dest = path.join(work.dir, `dest-${runs}`);
  const terminationLog = path.join(work.dir, `termination-${runs}`);
  await writeFile(terminationLog, '');
  const run = await runFetchModelCli([uri, dest, '--termination-log', terminationLog, ...flags], {
    KUBEINFER_STORAGE_CREDENTIALS_DIR: path.join(work.dir, 'none'),
    ...env,
  });
  const message = await readFile(terminationLog, 'utf8');
  capture('fetch-model termination message', message);
  return {
    ...run,
    terminationLog: message,
    published: (await listTree(dest)).filter((name) => !name.startsWith('.')),
    visible: run.stdout + run.stderr + message,
  };
}

function assertRefused(outcome: Outcome, kind: string, reason: RegExp): void {
  assert.equal(outcome.code, 1, outcome.stdout + outcome.stderr);
  const [error] = jsonLines(outcome.stderr);
  assert.ok(error, 'a JSON error line on stderr');
  assert.equal(error.kind, kind);
  assert.match(outcome.terminationLog, reason);
  assert.deepEqual(outcome.published, []);
  assert.doesNotMatch(outcome.visible, new RegExp(`${INTERNAL_ANSWER}|hunter2|${BEARER}|${SIGNATURE}`));
}

describe('fetch-model egress', () => {
  test('a redirect to another host is refused without a request to it', async () => {
    const before = internalHits.length;
    const outcome = await fetchModelCli(`${origin.url}/to-internal.onnx`);
    assertRefused(outcome, 'Refused', /redirects to another host \(127\.0\.0\.1:\d+\); pass --allow-cross-host-redirects/);
    assert.equal(internalHits.length, before, 'the other host was never asked');
  });

  test('when cross-host redirects are allowed, what comes back must still be an ONNX model', async () => {
    const outcome = await fetchModelCli(`${origin.url}/to-internal.onnx`, ['--allow-cross-host-redirects']);
    assertRefused(outcome, 'NotAModel', /is not an ONNX model: it does not start with ir_version \(first byte 0x7b, which starts JSON\)/);
  });

  test('link-local addresses (cloud metadata) are refused, directly and after a redirect', async () => {
    assertRefused(
      await fetchModelCli('http://169.254.169.254/latest/meta-data/model.onnx'),
      'Refused',
      /link-local address 169\.254\.169\.254.*--allow-link-local/,
    );
    assertRefused(await fetchModelCli('http://[fd00:ec2::254]/model.onnx'), 'Refused', /link-local address fd00:ec2::254/);
    assertRefused(
      await fetchModelCli(`${origin.url}/to-metadata.onnx`, ['--allow-cross-host-redirects']),
      'Refused',
      /link-local address 169\.254\.169\.254/,
    );
  });

  test('a bearer token is not sent over plain http unless allowed', async () => {
    const before = originAuthorization.length;
    const refused = await fetchModelCli(`${origin.url}/model.onnx`, [], { HTTP_BEARER_TOKEN: BEARER });
    assertRefused(
      refused,
      'Refused',
      /refusing to send bearer token from environment variable HTTP_BEARER_TOKEN over plain http to 127\.0\.0\.1:\d+; use https, or pass --allow-plain-http-credentials/,
    );
    assert.equal(originAuthorization.length, before, 'no request was made');
    const allowed = await fetchModelCli(`${origin.url}/model.onnx`, ['--allow-plain-http-credentials'], { HTTP_BEARER_TOKEN: BEARER });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(originAuthorization.at(-1), `Bearer ${BEARER}`);
    assert.doesNotMatch(allowed.visible, new RegExp(BEARER));
  });

  test('error bodies never reach the termination message', async () => {
    const outcome = await fetchModelCli(`${origin.url}/error.onnx`, ['--max-bytes', '1Mi']);
    assertRefused(outcome, 'Unavailable', /HTTP 500 Internal Server Error/);
  });

  test('presigned query strings are redacted in logs and the termination message', async () => {
    const ok = await fetchModelCli(`${origin.url}/model.onnx?X-Amz-Signature=${SIGNATURE}`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.visible, new RegExp(SIGNATURE));
    assert.match(ok.stdout, /model\.onnx\?\*\*\*/);
    const missing = await fetchModelCli(`${origin.url}/missing.onnx?X-Amz-Signature=${SIGNATURE}`);
    assertRefused(missing, 'NotFound', /missing\.onnx\?\*\*\*: NotFound/);
  });
});
