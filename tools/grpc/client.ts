// A small promise-based client of kubeinfer's gRPC services for tests and benchmarks, built
// from the same .proto files the server loads.
import { credentials, Metadata, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { serviceClients } from '../../runtime/grpc/protocol.ts';

type Message = Record<string, any>;

export interface GrpcClient {
  /** A unary call of the inference service; rejects with the ServiceError (code, details). */
  call(method: string, request: Message, metadata?: Readonly<Record<string, string>>): Promise<any>;
  /** grpc.health.v1 Check. */
  health(service?: string): Promise<string>;
  /** Opens ModelStreamInfer. */
  stream(metadata?: Readonly<Record<string, string>>): ClientDuplexStream<Message, any>;
  close(): void;
}

function toMetadata(values: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(values)) metadata.set(key, value);
  return metadata;
}

type UnaryMethod = (request: Message, metadata: Metadata, callback: (error: ServiceError | null, response: unknown) => void) => void;

function unary(client: Client, method: string, request: Message, metadata: Metadata): Promise<any> {
  const fn = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
  if (fn === undefined) throw new Error(`no RPC ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, metadata, (error: ServiceError | null, response: unknown) =>
      error === null ? resolve(response) : reject(error),
    );
  });
}

/** Connects (plaintext, h2c) to `address` (`host:port`); message size unlimited for large test tensors. */
export function connectGrpc(address: string): GrpcClient {
  const { inference, health } = serviceClients();
  const options = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  const inferenceClient = new inference(address, credentials.createInsecure(), options);
  const healthClient = new health(address, credentials.createInsecure(), options);
  return {
    call: (method, request, metadata = {}) => unary(inferenceClient, method, request, toMetadata(metadata)),
    health: async (service = '') => (await unary(healthClient, 'Check', { service }, new Metadata())).status,
    stream: (metadata = {}) =>
      (inferenceClient as unknown as { ModelStreamInfer(m: Metadata): ClientDuplexStream<Message, any> }).ModelStreamInfer(
        toMetadata(metadata),
      ),
    close: () => {
      inferenceClient.close();
      healthClient.close();
    },
  };
}
