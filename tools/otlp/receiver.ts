// An OTLP/HTTP traces receiver on loopback for tests and benchmarks: it takes what
// OpenTelemetry exporters POST to /v1/traces (JSON encoding) and keeps the spans, flattened,
// with the service that sent each.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received span, as OTLP/JSON spells it (ids in hex). */
export interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  /** The W3C tracestate the span carries, when any. */
  readonly traceState?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status: code 2 is an error, with its message. */
  readonly status: { readonly code?: number; readonly message?: string };
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
}

export interface OtlpReceiver {
  /** The collector address to configure (`--otlp-endpoint`). */
  readonly endpoint: string;
  readonly spans: readonly ReceivedSpan[];
  close(): Promise<void>;
}

interface KeyValue {
  readonly key: string;
  readonly value: Readonly<Record<string, unknown>>;
}

interface ExportRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeSpans?: readonly {
      readonly spans?: readonly (Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: readonly KeyValue[] })[];
    }[];
  }[];
}

/** An attribute list as a record of plain values (`{stringValue: "x"}` -> "x"). */
function attributeRecord(list: readonly KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]));
}

/** Starts a receiver on 127.0.0.1; `keep: false` counts nothing and only answers (for load). */
export async function startOtlpReceiver(keep = true): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      if (keep) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = String(attributeRecord(resourceSpans.resource?.attributes)['service.name']);
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({
                ...span,
                service,
                parentSpanId: span.parentSpanId ?? '',
                status: span.status ?? {},
                attributes: attributeRecord(span.attributes),
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
