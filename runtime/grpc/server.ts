// The gRPC listener of `serve`: Triton's inference service plus grpc.health.v1, with the
// message size tied to --max-request-bytes, keepalive, and a drain that follows the REST one.
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { ServeContext } from '../server/context.ts';
import { guardInterceptor } from './access.ts';
import { HEALTH_SERVICE, INFERENCE_SERVICE, serviceDefinitions, type ServingStatus } from './protocol.ts';
import { inferenceService, serving } from './service.ts';

/**
 * Pings an idle connection every 60 s (dropping it after 20 s without an answer) so load
 * balancers and NATs do not silently cut long-lived channels; clients may ping as often as
 * every 10 s, even between calls, as Triton's clients do with keepalive enabled.
 */
const KEEPALIVE = {
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
} as const;

/** How long a drained server waits for answers already written to reach their clients. */
const FLUSH_MS = 2_000;

export interface GrpcListener {
  readonly port: number;
  /** Stops accepting calls and closes every connection once answers have flushed. */
  close(): Promise<void>;
}

/** grpc.health.v1 Check: the server ('') and the inference service are SERVING while ready. */
function healthCheck(ctx: ServeContext) {
  return (
    call: ServerUnaryCall<{ service: string }, { status: ServingStatus }>,
    callback: sendUnaryData<{ status: ServingStatus }>,
  ): void => {
    const { service } = call.request;
    if (service !== '' && service !== INFERENCE_SERVICE) {
      callback({
        code: status.NOT_FOUND,
        details: `unknown service '${service}'; this server serves '${INFERENCE_SERVICE}' and '${HEALTH_SERVICE}'`,
      });
      return;
    }
    callback(null, { status: serving(ctx) ? 'SERVING' : 'NOT_SERVING' });
  };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error === null ? resolve(port) : reject(error)));
  });
}

/** Starts the gRPC service of `ctx` on `port` (all interfaces, IPv6 when the host has it, unless `host` is given). */
export async function startGrpc(ctx: ServeContext, port: number, host: string | undefined): Promise<GrpcListener> {
  const server = new Server({
    'grpc.max_receive_message_length': ctx.config.maxRequestBytes,
    'grpc.max_send_message_length': -1,
    ...KEEPALIVE,
    ...(ctx.guard === undefined ? {} : { interceptors: [guardInterceptor(ctx.guard)] }),
  });
  const { inference, health } = serviceDefinitions();
  server.addService(inference, inferenceService(ctx));
  server.addService(health, { Check: healthCheck(ctx) });
  const bound =
    host !== undefined
      ? await bind(server, `${host.includes(':') ? `[${host}]` : host}:${port}`)
      : await bind(server, `[::]:${port}`).catch(() => bind(server, `0.0.0.0:${port}`));
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, FLUSH_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
