// `kubeinfer fetch-model` as the init container runs it: JSON log lines, exit codes,
// the termination log, and SIGTERM (pod deletion) mid-download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonLines, runFetchModelCli, type FetchModelRun } from './cli-process.ts';
import { listTree, modelBytes, startHttpServer, tempDir, type Running } from '../../tools/storage/servers.ts';

const MODEL = modelBytes(300_000);

let server: Running;
let work: { dir: string; remove(): Promise<void> };

function runCli(args: readonly string[], onStdout?: Parameters<typeof runFetchModelCli>[2]): Promise<FetchModelRun> {
  return runFetchModelCli(args, { KUBEINFER_STORAGE_CREDENTIALS_DIR: path.join(work.dir, 'none') }, onStdout);
}

before(async () => {
  work = await tempDir();
  server = await startHttpServer((req, res) => {
    if (req.url === '/model.onnx') return void res.writeHead(200, { 'content-length': MODEL.length }).end(MODEL);
    if (req.url === '/endless.onnx') {
      res.writeHead(200, { 'content-length': 1e9 });
      const timer = setInterval(() => res.write(MODEL.subarray(0, 1000)), 20);
      return void res.on('close', () => clearInterval(timer));
    }
    res.writeHead(404).end('gone');
  });
});

after(async () => {
  await server?.stop();
  await work?.remove();
});

describe('kubeinfer fetch-model', () => {
  test('downloads and logs JSON lines ending in "model ready"', async () => {
    const dest = path.join(work.dir, 'ok');
    const run = await runCli([`${server.url}/model.onnx`, dest]);
    assert.equal(run.code, 0, run.stderr);
    const events = jsonLines(run.stdout);
    assert.deepEqual(
      events.map((event) => event.msg),
      ['fetch-model start', 'fetch-model done', 'model ready'],
    );
    assert.equal(events[2]?.model, path.join(dest, 'model.onnx'));
    assert.ok(events.every((event) => typeof event.time === 'string'));
    assert.deepEqual(await readFile(path.join(dest, 'model.onnx')), MODEL);
  });

  test('fails with exit code 1, a JSON error and the termination log', async () => {
    const terminationLog = path.join(work.dir, 'termination-log');
    await writeFile(terminationLog, '');
    const dest = path.join(work.dir, 'missing');
    const run = await runCli([`${server.url}/missing.onnx`, dest, '--termination-log', terminationLog]);
    assert.equal(run.code, 1);
    const [error] = jsonLines(run.stderr);
    assert.ok(error, 'a JSON error line on stderr');
    assert.equal(error.kind, 'NotFound');
    assert.match(String(error.error), /^fetch http:\/\/127\.0\.0\.1:\d+\/missing\.onnx: NotFound: not found \(HTTP 404\)$/);
    assert.equal(await readFile(terminationLog, 'utf8'), error.error);
    assert.deepEqual(await listTree(dest), []);
  });

  test('refuses a bad --max-bytes', async () => {
    const run = await runCli([`${server.url}/model.onnx`, path.join(work.dir, 'bad'), '--max-bytes', 'lots']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--max-bytes lots is not a byte quantity/);
  });

  test('SIGTERM mid-download stops, cleans up and exits non-zero', async () => {
    const dest = path.join(work.dir, 'terminated');
    let signalled = false;
    const run = await runCli([`${server.url}/endless.onnx`, dest, '--progress-interval', '0.05'], (stdout, child) => {
      if (!signalled && stdout.includes('fetch-model progress')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    assert.equal(run.code, 1);
    assert.equal(jsonLines(run.stderr)[0]?.kind, 'Aborted');
    assert.deepEqual(await listTree(dest), []);
  });
});
