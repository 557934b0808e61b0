// One structured line per inference request: who called what, and how it went.
// The caller is an identity (Kubernetes user, ServiceAccount, or API key id),
// never a credential; the path is logged without its query string.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Request header that carries (or is given) the request id; the router returns it on the response. */
export const REQUEST_ID_HEADER = 'x-request-id';

export interface AuditRecord {
  readonly requestId: string;
  readonly caller: string;
  readonly model: string;
  readonly version: string | null;
  readonly pinned: boolean;
  readonly mirrored: boolean;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** The caller's request id when it sent a usable one, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** The audit line's fields, in the order people read them. */
export function auditLine(record: AuditRecord): Record<string, unknown> {
  return {
    msg: 'audit',
    request_id: record.requestId,
    caller: record.caller,
    model: record.model,
    version: record.version,
    pinned: record.pinned,
    mirrored: record.mirrored,
    method: record.method,
    path: record.path.split('?', 1)[0],
    status: record.status,
    latency_ms: Math.round(record.latencyMs * 1000) / 1000,
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
  };
}
