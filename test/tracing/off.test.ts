// Tracing off is free: with no OTLP endpoint, a router and serve handling traced requests
// never load the OpenTelemetry SDK or exporter (observed through a module resolve hook in a
// fresh process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { addModel } from '../../tools/onnx/models.ts';
import { modelFile, tempFile } from '../runtime/harness.ts';

const ROOT = new URL('../../', import.meta.url).href;

// Runs in the child: serve + router without an endpoint, one request with a traceparent, then the OpenTelemetry modules resolved.
const CHILD = `
import { registerHooks } from 'node:module';
const resolved = [];
const ROOT = process.argv[3];
registerHooks({ resolve(specifier, context, next) { if (specifier.includes('opentelemetry') || specifier.includes('/tracing/otlp')) resolved.push({ specifier, importer: context.parentURL }); return next(specifier, context); } });
const { startServer } = await import(ROOT + 'runtime/server/serve.ts');
const { resolveServeConfig } = await import(ROOT + 'runtime/server/config.ts');
const { startRouter } = await import(ROOT + 'runtime/router/index.ts');
const config = resolveServeConfig({ model: process.argv[2], name: 'm', port: '0', grpcPort: '0', host: '127.0.0.1', shutdownDelayMs: '0' }, {});
const server = await startServer(config.config, () => {});
await server.loaded;
const router = await startRouter({ host: '127.0.0.1', port: 0 });
router.apply({ model: 'm', versions: [{ name: 'v1', weight: 100, url: server.url }], mirror: null });
const answer = await fetch(router.url + '/v2/models/m/infer', { method: 'POST', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }) });
const text = await answer.text();
await router.close(0);
await server.drain();
process.stdout.write(JSON.stringify({ status: answer.status, body: text, resolved }));
`;

test('with no OTLP endpoint, the OpenTelemetry SDK is never loaded while traced requests flow', async (t) => {
  const model = modelFile(t, addModel());
  // A file, not --eval: serve's worker threads inherit the process's flags.
  const child = tempFile(t, 'untraced.mjs', CHILD);
  const run = await promisify(execFile)(process.execPath, [child, model, ROOT], { timeout: 60_000 });
  const outcome = JSON.parse(run.stdout) as { status: number; body: string; resolved: { specifier: string; importer: string }[] };
  assert.equal(outcome.status, 200, outcome.body);
  // prom-client (metrics exemplars) imports the tiny API package on its own; nothing else may load.
  const ours = outcome.resolved.filter(
    (module) => !(module.specifier === '@opentelemetry/api' && module.importer.includes('/prom-client/')),
  );
  assert.deepEqual(ours, []);
});
