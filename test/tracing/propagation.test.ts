// W3C trace context through router -> serve, on REST and gRPC: both export spans to an
// in-process OTLP/HTTP receiver, in one trace, the serve span a child of the router's hop.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../tools/cluster/index.ts';
import { connectGrpc } from '../../tools/grpc/client.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../tools/otlp/receiver.ts';
import { startRouter } from '../../runtime/router/index.ts';
import { send, startTestServer } from '../runtime/harness.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;
const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
const grpcRequest = {
  model_name: 'm',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
};

interface Traced {
  readonly receiver: OtlpReceiver;
  readonly routerUrl: string;
  readonly routerGrpc: string;
  /** Stops router and serve, which sends every span they still hold. */
  flush(): Promise<void>;
}

/** serve and a router in front of it, both exporting to one receiver. */
async function tracedPair(t: TestContext): Promise<Traced> {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const server = await startTestServer(t, addModel(), {
    'otlp-endpoint': receiver.endpoint,
    'grpc-port': String(await freePort()),
    'shutdown-delay-ms': '0',
  });
  const router = await startRouter({ host: '127.0.0.1', port: 0, grpcPort: 0, otlpEndpoint: receiver.endpoint });
  router.apply({
    model: 'm',
    versions: [{ name: 'v1', weight: 100, url: server.url, grpcUrl: `http://${server.grpcAddress}` }],
    mirror: null,
  });
  return {
    receiver,
    routerUrl: router.url,
    routerGrpc: `127.0.0.1:${router.grpcPort}`,
    flush: async () => {
      await router.close(0);
      await server.drain();
    },
  };
}

/** The router's span in `traceId` and the serve spans below it, checked to be linked. */
function linkedSpans(spans: readonly ReceivedSpan[], route: ReceivedSpan): { infer: ReceivedSpan; children: string[] } {
  const infer = spans.find((span) => span.service === 'kubeinfer-serve' && span.name === 'infer' && span.traceId === route.traceId);
  assert.ok(infer, `serve exported no span in trace ${route.traceId}: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId]))}`);
  assert.equal(infer.parentSpanId, route.spanId, "serve's span is a child of the router's");
  const children = spans.filter((span) => span.parentSpanId === infer.spanId).map((span) => span.name);
  return { infer, children: children.sort() };
}

function routeSpans(spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((span) => span.service === 'kubeinfer-router' && span.name === 'route');
}

test('REST: a traceparent continues through router and serve; none or a malformed one starts a new trace', async (t) => {
  const traced = await tracedPair(t);
  const continued = await send(traced.routerUrl, 'POST', '/v2/models/m/infer', body, { traceparent: TRACEPARENT, tracestate: 'acme=1' });
  assert.equal(continued.status, 200);
  const fresh = await send(traced.routerUrl, 'POST', '/v2/models/m/infer', body);
  assert.equal(fresh.status, 200);
  const malformed = await send(traced.routerUrl, 'POST', '/v2/models/m/infer', body, { traceparent: '00-not-a-trace-01' });
  assert.equal(malformed.status, 200, 'a malformed traceparent is ignored, never an error');
  const failing = `00-${'a'.repeat(32)}-${CALLER_SPAN}-01`;
  const refused = await send(traced.routerUrl, 'POST', '/v2/models/m/infer', '{"inputs": [', { traceparent: failing });
  assert.equal(refused.status, 400);
  await traced.flush();
  const failed = traced.receiver.spans.find((span) => span.service === 'kubeinfer-serve' && span.traceId === 'a'.repeat(32));
  assert.equal(failed?.status.code, 2, 'a refused request is an error span, with the reason');
  assert.match(failed?.status.message ?? '', /JSON/i);

  const spans = traced.receiver.spans;
  const routes = routeSpans(spans).filter((span) => span.traceId !== 'a'.repeat(32));
  assert.equal(routes.length, 3);
  const [first, second, third] = routes.sort((a, b) => a.startTimeUnixNano.localeCompare(b.startTimeUnixNano));
  assert.equal(first!.traceId, TRACE_ID);
  assert.equal(first!.parentSpanId, CALLER_SPAN, "the router's span is a child of the caller's");
  assert.equal(first!.attributes['kubeinfer.version'], 'v1');
  const { infer, children } = linkedSpans(spans, first!);
  assert.deepEqual(children, ['compute', 'queue']);
  assert.deepEqual([first!.traceState, infer.traceState], ['acme=1', 'acme=1'], "the caller's tracestate travels along");
  for (const root of [second!, third!]) {
    assert.notEqual(root.traceId, TRACE_ID);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.equal(root.parentSpanId, '', 'a new trace starts at the router');
    linkedSpans(spans, root);
  }
  assert.notEqual(second!.traceId, third!.traceId);
});

test('gRPC: ModelInfer metadata traceparent continues through router and serve', async (t) => {
  const traced = await tracedPair(t);
  const client = connectGrpc(traced.routerGrpc);
  const answer = await client.call('ModelInfer', grpcRequest, { traceparent: TRACEPARENT });
  assert.equal(answer.model_name, 'm');
  await client.call('ModelInfer', grpcRequest, { traceparent: 'garbage' });
  client.close();
  await traced.flush();

  const spans = traced.receiver.spans;
  const routes = routeSpans(spans);
  assert.equal(routes.length, 2);
  const continued = routes.find((span) => span.traceId === TRACE_ID);
  assert.ok(continued, 'the router continued the caller trace');
  assert.equal(continued.parentSpanId, CALLER_SPAN);
  assert.equal(continued.attributes['rpc.method'], 'ModelInfer');
  const { infer, children } = linkedSpans(spans, continued);
  assert.equal(infer.attributes['kubeinfer.protocol'], 'grpc');
  assert.deepEqual(children, ['compute', 'queue']);
  const fresh = routes.find((span) => span.traceId !== TRACE_ID);
  assert.equal(fresh?.parentSpanId, '');
});

test('gRPC: a ModelStreamInfer stream is one router span; each message is a serve span under it', async (t) => {
  const traced = await tracedPair(t);
  const client = connectGrpc(traced.routerGrpc);
  const stream = client.stream({ traceparent: TRACEPARENT });
  const answers: unknown[] = [];
  stream.on('data', (message) => answers.push(message));
  const ended = new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (const id of ['a', 'b', 'c']) stream.write({ ...grpcRequest, id });
  stream.end();
  await ended;
  client.close();
  assert.equal(answers.length, 3);
  await traced.flush();

  const [route, ...others] = routeSpans(traced.receiver.spans);
  assert.equal(others.length, 0, 'the stream is routed, and traced, as a whole');
  assert.equal(route?.traceId, TRACE_ID);
  assert.equal(route?.attributes['rpc.method'], 'ModelStreamInfer');
  const messages = traced.receiver.spans.filter((span) => span.service === 'kubeinfer-serve' && span.name === 'infer');
  assert.equal(messages.length, 3);
  for (const message of messages) assert.equal(message.parentSpanId, route?.spanId);
});
