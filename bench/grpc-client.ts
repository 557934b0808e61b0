// A light gRPC load client: one HTTP/2 connection sending the same pre-encoded ModelInfer call
// back to back over node:http2, without @grpc/grpc-js's per-call CPU (the load generator shares
// the cores with the server it measures).
import { once } from 'node:events';
import { connect } from 'node:http2';
import { serviceClients } from '../runtime/grpc/protocol.ts';

/** One way of sending the same inference: `send` resolves true on success. */
export interface Client {
  send(): Promise<boolean>;
  close(): void;
}

/** Like the REST client: one HTTP/2 connection sending the same pre-encoded ModelInfer call back to back. */
export async function openRawGrpc(address: string, request: Record<string, unknown>): Promise<Client> {
  const message = serviceClients().inference.service.ModelInfer!.requestSerialize(request);
  const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
  body.writeUInt32BE(message.length, 1);
  const session = connect(`http://${address}`);
  await once(session, 'connect');
  const headers = {
    ':method': 'POST',
    ':path': '/inference.GRPCInferenceService/ModelInfer',
    'content-type': 'application/grpc',
    te: 'trailers',
  };
  const send = () =>
    new Promise<boolean>((resolve) => {
      const call = session.request(headers);
      let ok = false;
      call.on('response', (answer) => {
        if (answer['grpc-status'] !== undefined) ok = answer['grpc-status'] === '0';
      });
      call.on('trailers', (trailers) => {
        ok = trailers['grpc-status'] === '0';
      });
      call.on('error', () => resolve(false));
      call.on('close', () => resolve(ok));
      call.resume();
      call.end(body);
    });
  return { send, close: () => session.close() };
}
