// The OpenTelemetry side of tracing, imported only when an OTLP endpoint is configured.
// Spans go through a batch processor, so a request never waits on the collector; a
// collector that is down costs dropped spans, never failed requests.
import { defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { nowNs } from '../engine/clock.ts';
import type { HopSpan, SpanAttributes, TraceHeaders, Tracing } from './tracing.ts';

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<TraceHeaders> = {
  get: (headers, key) => headers[key],
  keys: (headers) => Object.keys(headers),
};

/** A tracer exporting to the OTLP/HTTP traces URL under the given service name. */
export function otlpTracing(url: string, service: string, resource: SpanAttributes): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, ...resource }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  const tracer = provider.getTracer('kubeinfer');
  // nowNs() is monotonic with an arbitrary origin; spans need wall-clock milliseconds.
  const epochOffsetMs = performance.timeOrigin + performance.now() - nowNs() / 1e6;
  const epochMs = (ns: number) => epochOffsetMs + ns / 1e6;
  const parentOf = (headers: TraceHeaders): Context => propagator.extract(ROOT_CONTEXT, headers, headerGetter);
  return {
    startHop(name, headers, attributes): HopSpan {
      const parent = parentOf(headers);
      const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
      const downstream: Record<string, string> = {};
      propagator.inject(trace.setSpan(parent, span), downstream, defaultTextMapSetter);
      return {
        traceparent: downstream.traceparent ?? '',
        tracestate: downstream.tracestate,
        end(status, failed) {
          span.setAttribute('kubeinfer.status', status);
          if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    recordRequest(name, headers, times, attributes, error) {
      const parent = parentOf(headers);
      const request = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, startTime: epochMs(times.startNs) }, parent);
      const timing = times.timing;
      if (timing !== undefined) {
        // The engine reports durations; queue and compute ran back to back, ending when it answered.
        const computeNs = timing.computeInputNs + timing.computeInferNs + timing.computeOutputNs;
        const computeStartNs = times.inferredNs - computeNs;
        const inside = trace.setSpan(parent, request);
        tracer.startSpan('queue', { startTime: epochMs(computeStartNs - timing.queueNs) }, inside).end(epochMs(computeStartNs));
        tracer
          .startSpan('compute', { startTime: epochMs(computeStartNs), attributes: { 'kubeinfer.batch_size': timing.batchSize } }, inside)
          .end(epochMs(times.inferredNs));
      }
      if (error !== undefined) request.setStatus({ code: SpanStatusCode.ERROR, message: error });
      request.end();
    },
    shutdown: () => provider.shutdown(),
  };
}
