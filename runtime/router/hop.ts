// The router's span for one routed request (REST or gRPC), only when tracing is on: it names
// the version chosen and any mirror, and its context goes on to both in place of the caller's.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { HopSpan, SpanAttributes, Tracing } from '../tracing/tracing.ts';
import type { RoutingTable } from './table.ts';

/** Where a request went: the version chosen, whether pinned, and the version a mirror copy went to. */
export interface RoutedTo {
  readonly version: string;
  readonly pinned: boolean;
  readonly mirror: string | undefined;
}

/** Opens the span; `request` adds the protocol's own attribute (HTTP method, gRPC method). */
export function startHop(
  tracing: Tracing,
  headers: IncomingHttpHeaders,
  table: RoutingTable,
  to: RoutedTo,
  request: SpanAttributes,
): HopSpan {
  return tracing.startHop('route', headers, {
    'kubeinfer.model': table.config.model,
    'kubeinfer.version': to.version,
    'kubeinfer.pinned': to.pinned,
    'kubeinfer.mirror': to.mirror ?? '',
    ...request,
  });
}

/** The headers to send on: the caller's, with the hop's trace context in place of theirs. */
export function continuedHeaders(headers: IncomingHttpHeaders, hop: HopSpan): IncomingHttpHeaders {
  // The hop carries a valid caller's tracestate on; a malformed traceparent's tracestate belongs to no trace.
  const { tracestate: _callers, ...others } = headers;
  const continued = { ...others, traceparent: hop.traceparent };
  return hop.tracestate === undefined ? continued : { ...continued, tracestate: hop.tracestate };
}

/** REST: opens the span and puts its context on `req`'s headers, which the proxy and the mirror copy forward. */
export function startHttpHop(tracing: Tracing, req: IncomingMessage, table: RoutingTable, to: RoutedTo): HopSpan {
  const hop = startHop(tracing, req.headers, table, to, { 'http.request.method': req.method ?? '' });
  req.headers = continuedHeaders(req.headers, hop);
  return hop;
}
