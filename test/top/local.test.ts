// Local mode end to end: `kubeinfer run --otlp-endpoint` traces its router and every runtime,
// and `kubeinfer top --url <router> --once` shows the run's figures under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addModel } from '../../tools/onnx/models.ts';
import { startOtlpReceiver } from '../../tools/otlp/receiver.ts';
import { startLocalRun } from '../local/session.ts';
import { kubeinfer, loadUntil, tableRows } from './support.ts';

const MANIFEST = `apiVersion: serving.kubeinfer.io/v1alpha1
kind: InferenceService
metadata: {name: m}
spec:
  versions:
    - {name: v1, model: {uri: "file://./v1.onnx"}, weight: 80}
    - {name: v2, model: {uri: "file://./v2.onnx"}, weight: 20}
  runtime: {workers: 1}
`;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

test('kubeinfer run under load: top shows both versions; --otlp-endpoint traces router and runtimes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-top-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'v1.onnx'), addModel({ scale: 2 }));
  await writeFile(join(dir, 'v2.onnx'), addModel({ scale: 3 }));
  await writeFile(join(dir, 'service.yaml'), MANIFEST);
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const local = await startLocalRun(join(dir, 'service.yaml'), process.env, ['--otlp-endpoint', receiver.endpoint]);
  let stopped = false;
  t.after(() => (stopped ? undefined : local.interrupt()));

  const top = kubeinfer(['top', '--url', local.routerUrl, '--once', '--interval', '1']);
  await loadUntil(local.routerUrl, 'm', top);
  const { code, stdout, stderr } = await top;
  assert.equal(code, 0, stderr);
  const rows = tableRows(stdout);
  assert.deepEqual([rows.get('v1')?.WEIGHT, rows.get('v2')?.WEIGHT], ['80%', '20%']);
  assert.ok(Number(rows.get('v1')?.['REQ/S']) > 0, stdout);
  assert.equal(rows.get('v1')?.['ERR/S'], '0.0');

  const traced = await fetch(`${local.routerUrl}/v2/models/m/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
  });
  assert.equal(traced.status, 200);
  stopped = true;
  await local.interrupt(); // the router and each runtime send what they hold as they stop
  const inTrace = receiver.spans.filter((span) => span.traceId === TRACE_ID);
  const route = inTrace.find((span) => span.service === 'kubeinfer-router');
  const infer = inTrace.find((span) => span.service === 'kubeinfer-serve' && span.name === 'infer');
  assert.ok(route && infer, `both processes exported the trace: ${JSON.stringify(inTrace.map((span) => [span.service, span.name]))}`);
  assert.equal(infer.parentSpanId, route.spanId);
  assert.equal(infer.attributes['kubeinfer.model_version'], route.attributes['kubeinfer.version']);
});
