// Access control on the router's gRPC listener: the HTTP port's guard and audit, with the
// credential in the call's metadata (`authorization: Bearer <token or key>`, or
// `x-api-key: <key>`) and refusals as gRPC statuses carrying the guard's message.
import type { IncomingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { auditLine, requestIdOf } from '../auth/audit.ts';
import { CREDENTIAL_HEADERS, type AccessDecision, type AccessGuard } from '../auth/guard.ts';
import type { RoutingTable } from './table.ts';

export interface GrpcAccess {
  /** Who may call; without one, anyone who reaches the router may. */
  readonly guard?: AccessGuard | undefined;
  /** Receives one audit line per inference-service call; set to audit. */
  readonly audit?: ((line: Readonly<Record<string, unknown>>) => void) | undefined;
}

/** Liveness and readiness of the server answer without a credential, as /v2/health/* does over HTTP. */
const OPEN_METHODS = new Set(['ServerLive', 'ServerReady']);

/** The guard's HTTP statuses as gRPC statuses. */
const DENIED_CODE: Readonly<Record<Extract<AccessDecision, { allowed: false }>['status'], number>> = {
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  503: status.UNAVAILABLE,
};

/** What one call is, for the access check and its audit line. */
export interface GrpcCall {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly path: string;
  readonly version: string | null;
  readonly pinned: boolean;
}

/** Whether the call needs a credential. */
export function guarded(access: GrpcAccess, method: string): access is GrpcAccess & { guard: AccessGuard } {
  return access.guard !== undefined && !OPEN_METHODS.has(method);
}

/** Asks the guard about the call; resolves with the caller, or with the refusal as a gRPC status and message. */
export async function checkCall(
  guard: AccessGuard,
  call: GrpcCall,
  table: RoutingTable,
): Promise<{ readonly caller: string } | { readonly code: number; readonly message: string; readonly caller: string }> {
  const pinsWeightZero = call.pinned && table.config.versions.find((version) => version.name === call.version)?.weight === 0;
  const decision = await guard
    .check(call.headers, { kind: 'infer', pinsWeightZero })
    .catch((error: Error): AccessDecision => ({ allowed: false, status: 503, message: `access check failed: ${error.message}` }));
  if (decision.allowed) return { caller: decision.caller };
  return { code: DENIED_CODE[decision.status], message: decision.message, caller: decision.caller ?? 'unauthenticated' };
}

/** The call's metadata for a backend: without the caller's credentials once the router has checked them. */
export function forwardedMetadata(access: GrpcAccess, headers: IncomingHttpHeaders): IncomingHttpHeaders {
  if (access.guard === undefined) return headers;
  const kept: IncomingHttpHeaders = { ...headers };
  for (const name of CREDENTIAL_HEADERS) delete kept[name];
  return kept;
}

/** How a call ends, for its audit line. */
export interface CallOutcome {
  readonly code: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** Starts a call's audit: the returned function writes its one line (a no-op when not auditing). */
export function auditCall(
  access: GrpcAccess,
  call: GrpcCall,
  fields: { readonly model: string; readonly caller: string; readonly mirrored: boolean },
): (outcome: CallOutcome) => void {
  const audit = access.audit;
  if (audit === undefined) return () => {};
  const requestId = requestIdOf(call.headers);
  const started = performance.now();
  let written = false;
  return (outcome) => {
    if (written) return;
    written = true;
    audit({
      ...auditLine({
        requestId,
        caller: fields.caller,
        model: fields.model,
        version: call.version,
        pinned: call.pinned,
        mirrored: fields.mirrored,
        method: 'POST',
        path: call.path,
        status: outcome.code,
        latencyMs: performance.now() - started,
        bytesIn: outcome.bytesIn,
        bytesOut: outcome.bytesOut,
      }),
      protocol: 'grpc',
    });
  };
}
