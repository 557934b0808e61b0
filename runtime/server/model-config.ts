// Triton's model configuration extension (GET /v2/models/{m}/config) and the V2 model
// metadata, both derived from the loaded model's signature and the serving options.
import { DATATYPES } from '../engine/datatypes.ts';
import type { ModelSignature, TensorSpec } from '../engine/signature.ts';

export interface ConfigOptions {
  readonly name: string;
  readonly version: string;
  readonly workers: number;
  /** Rows per execution when dynamic batching is on; 0 when off. */
  readonly maxBatchSize: number;
  readonly preferredBatchSize: number;
  readonly maxQueueDelayMicros: number;
  readonly executionProvider: 'cpu' | 'cuda';
  /** Whether a labels file was loaded (shown as each output's label_filename). */
  readonly labels: boolean;
}

/** The name /config shows for the labels file, as Triton's label_filename. */
export const LABELS_FILENAME = 'labels.txt';

/** V2 model metadata: name, versions, platform, inputs and outputs with -1 for dynamic dims. */
export function modelMetadata(options: ConfigOptions, signature: ModelSignature): Record<string, unknown> {
  const tensor = (spec: TensorSpec) => ({ name: spec.name, datatype: spec.datatype, shape: spec.shape });
  return {
    name: options.name,
    versions: [options.version],
    platform: 'onnxruntime_onnx',
    inputs: signature.inputs.map(tensor),
    outputs: signature.outputs.map(tensor),
  };
}

/**
 * Triton model configuration. With max_batch_size > 0, Triton's convention applies: dims
 * leave out the batch dimension, which clients then prepend.
 */
export function modelConfig(options: ConfigOptions, signature: ModelSignature): Record<string, unknown> {
  const batching = options.maxBatchSize > 0;
  const dims = (spec: TensorSpec) => (batching ? spec.shape.slice(1) : spec.shape);
  const config: Record<string, unknown> = {
    name: options.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: batching ? options.maxBatchSize : 0,
    input: signature.inputs.map((spec) => ({
      name: spec.name,
      data_type: DATATYPES[spec.datatype].triton,
      format: 'FORMAT_NONE',
      dims: dims(spec),
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    })),
    output: signature.outputs.map((spec) => ({
      name: spec.name,
      data_type: DATATYPES[spec.datatype].triton,
      dims: dims(spec),
      label_filename: options.labels ? LABELS_FILENAME : '',
      is_shape_tensor: false,
    })),
    instance_group: [
      {
        name: options.name,
        kind: options.executionProvider === 'cuda' ? 'KIND_GPU' : 'KIND_CPU',
        count: options.workers,
        gpus: options.executionProvider === 'cuda' ? [0] : [],
      },
    ],
    default_model_filename: 'model.onnx',
  };
  if (batching) {
    config.dynamic_batching = {
      preferred_batch_size: options.preferredBatchSize > 0 ? [options.preferredBatchSize] : [],
      max_queue_delay_microseconds: options.maxQueueDelayMicros,
      preserve_ordering: false,
    };
  }
  return config;
}
