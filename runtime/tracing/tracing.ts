// Distributed tracing, off unless an OTLP endpoint is configured. Only then is the
// OpenTelemetry SDK loaded (./otlp.ts); with tracing off, the router and serve pass a
// caller's traceparent and tracestate through untouched (the router forwards every
// end-to-end header) and spend nothing else on tracing.
import { otlpTracesUrl } from '../../contracts/index.ts';
import type { Timing } from '../engine/scheduler.ts';

/** Request headers (HTTP) or metadata (gRPC) that may carry W3C trace context. */
export type TraceHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** A span that is open while a request passes through (the router's hop). */
export interface HopSpan {
  /** W3C trace context to send downstream, naming this span as the parent. */
  readonly traceparent: string;
  readonly tracestate: string | undefined;
  /** Ends the span with the answer's status (HTTP status or gRPC code) and any more attributes. */
  end(status: number, failed: boolean): void;
}

/** When a finished inference request spent its time, in nowNs() nanoseconds. */
export interface RequestTimes {
  readonly startNs: number;
  /** When the engine answered. */
  readonly inferredNs: number;
  /** The engine's breakdown, when it ran the request. */
  readonly timing: Timing | undefined;
}

export interface Tracing {
  /** Opens a span continuing the caller's trace, or starting one when it sent none (or a malformed one). */
  startHop(name: string, headers: TraceHeaders, attributes: SpanAttributes): HopSpan;
  /** Records a finished request as a span with queue and compute children, after the fact (nothing is held per request meanwhile). */
  recordRequest(name: string, headers: TraceHeaders, times: RequestTimes, attributes: SpanAttributes, error: string | undefined): void;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/** Starts exporting to `endpoint` as `service`, or gives undefined (tracing off) when no endpoint is set; throws on a malformed one. */
export async function startTracing(endpoint: string | undefined, service: string, resource: SpanAttributes): Promise<Tracing | undefined> {
  if (endpoint === undefined || endpoint === '') return undefined;
  const traces = otlpTracesUrl(endpoint);
  if (!traces.ok) throw new Error(traces.message);
  const { otlpTracing } = await import('./otlp.ts');
  return otlpTracing(traces.url, service, resource);
}
