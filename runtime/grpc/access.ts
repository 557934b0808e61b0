// `serve --api-keys-file` on the gRPC listener: a server interceptor asks the same guard as
// the HTTP port, with the key in the call's metadata (`authorization: Bearer <key>` or
// `x-api-key: <key>`), before any message reaches a handler. Health answers without a key.
import { ServerInterceptingCall, status, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import type { AccessDecision, AccessGuard, CredentialHeaders } from '../auth/guard.ts';

/** Methods answered without a credential, like /v2/health/* over HTTP. */
const OPEN_PATHS = new Set([
  '/grpc.health.v1.Health/Check',
  '/inference.GRPCInferenceService/ServerLive',
  '/inference.GRPCInferenceService/ServerReady',
]);

const DENIED_CODE: Readonly<Record<Extract<AccessDecision, { allowed: false }>['status'], status>> = {
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  503: status.UNAVAILABLE,
};

/** Refuses calls without an accepted key with UNAUTHENTICATED (or PERMISSION_DENIED) and the guard's message. */
export function guardInterceptor(guard: AccessGuard): ServerInterceptor {
  return (method, call) => {
    if (OPEN_PATHS.has(method.path)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, accept) => {
            guard.check(credentialHeaders(metadata), { kind: 'infer', pinsWeightZero: false }).then(
              (decision) => {
                if (decision.allowed) return accept(metadata);
                call.sendStatus({ code: DENIED_CODE[decision.status], details: decision.message });
              },
              (error: Error) => call.sendStatus({ code: status.INTERNAL, details: `access check failed: ${error.message}` }),
            );
          },
        }),
    });
  };
}

function credentialHeaders(metadata: Metadata): CredentialHeaders {
  const text = (name: string) => metadata.get(name).find((value): value is string => typeof value === 'string');
  return { authorization: text('authorization'), 'x-api-key': text('x-api-key') };
}
