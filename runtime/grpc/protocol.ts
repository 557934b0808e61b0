// The gRPC protocol as Triton publishes it (proto/ holds Triton's own definitions): the
// `inference.GRPCInferenceService` and `grpc.health.v1.Health` service definitions, and the
// shapes of the messages kubeinfer reads and writes, as @grpc/proto-loader presents them.
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/** The directory of the .proto files (for protoc, grpcurl's -import-path, and the loader). */
export const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));

/**
 * Field names exactly as in the .proto (snake_case); 64-bit integers as decimal strings so
 * INT64/UINT64 contents keep every digit; enums by name, as Triton's JSON config spells them.
 */
export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** A value of Triton's InferParameter (its `parameter_choice` oneof). */
export interface InferParameter {
  readonly parameter_choice?: string;
  readonly bool_param?: boolean;
  readonly int64_param?: string;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: string;
}

/** InferTensorContents: typed repeated fields, one per group of datatypes. */
export interface TensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

export interface InferInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly (string | number)[];
  readonly parameters: Readonly<Record<string, InferParameter>>;
  readonly contents: TensorContents | null;
}

export interface ModelInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, InferParameter>>;
  readonly inputs: readonly InferInputTensor[];
  readonly outputs: readonly { readonly name: string; readonly parameters: Readonly<Record<string, InferParameter>> }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

export interface InferOutputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly contents?: TensorContents;
}

export interface ModelInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: readonly InferOutputTensor[];
  readonly raw_output_contents: readonly Uint8Array[];
}

/** Health's ServingStatus names. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The fully-qualified service names clients and health checks use. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

interface Loaded {
  readonly inference: ServiceClientConstructor;
  readonly health: ServiceClientConstructor;
}

let loaded: Loaded | undefined;

/** Parses the .proto files once per process. */
function load(): Loaded {
  if (loaded !== undefined) return loaded;
  const definition = loadSync(['grpc_service.proto', 'health.proto'], LOADER_OPTIONS);
  const root = loadPackageDefinition(definition);
  const inference = (root.inference as GrpcObject).GRPCInferenceService as ServiceClientConstructor;
  const health = (((root.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject).Health as ServiceClientConstructor;
  loaded = { inference, health };
  return loaded;
}

/** The service definitions, for a server's addService. */
export function serviceDefinitions(): { readonly inference: ServiceDefinition; readonly health: ServiceDefinition } {
  const { inference, health } = load();
  return { inference: inference.service, health: health.service };
}

/** Client constructors for the two services (tests, bench and local mode's examples use them). */
export function serviceClients(): Loaded {
  return load();
}
