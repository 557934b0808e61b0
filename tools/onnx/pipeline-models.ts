// Small graphs for pipeline tests and examples: the steps a team typically exports around
// a model (a scaler before it, an argmax head after it) and a model whose answer an image
// makes computable (the mean colour of each channel).
import { buildModel, type Dim } from './proto.ts';

export interface ScalerOptions {
  /** Per-feature mean and standard deviation: output = (input - mean) / std. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly inputName?: string;
  readonly outputName?: string;
  readonly batch?: Dim;
}

/** A standard scaler as skl2onnx would export it: float32 [batch, features] -> (x - mean) / std. */
export function scalerModel(options: ScalerOptions): Uint8Array {
  const features = options.mean.length;
  const batch = options.batch ?? 'batch';
  const inputName = options.inputName ?? 'features';
  const outputName = options.outputName ?? 'scaled';
  return buildModel({
    inputs: [{ name: inputName, type: 'FP32', dims: [batch, features] }],
    outputs: [{ name: outputName, type: 'FP32', dims: [batch, features] }],
    nodes: [
      { op: 'Sub', inputs: [inputName, 'mean'], outputs: ['centred'] },
      { op: 'Div', inputs: ['centred', 'std'], outputs: [outputName] },
    ],
    initializers: [
      { name: 'mean', type: 'FP32', dims: [features], data: [...options.mean] },
      { name: 'std', type: 'FP32', dims: [features], data: [...options.std] },
    ],
  });
}

export interface ArgmaxOptions {
  readonly classes: number;
  readonly inputName?: string;
  readonly outputName?: string;
}

/** An argmax head: float32 [batch, classes] -> int64 [batch], the index of the highest score. */
export function argmaxModel(options: ArgmaxOptions): Uint8Array {
  const inputName = options.inputName ?? 'logits';
  const outputName = options.outputName ?? 'class';
  return buildModel({
    inputs: [{ name: inputName, type: 'FP32', dims: ['batch', options.classes] }],
    outputs: [{ name: outputName, type: 'INT64', dims: ['batch'] }],
    nodes: [
      {
        op: 'ArgMax',
        inputs: [inputName],
        outputs: [outputName],
        attributes: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 } },
      },
    ],
  });
}

export interface ChannelMeanOptions {
  readonly size: number;
  /** Channels of the image tensor (3 for RGB/BGR). */
  readonly channels?: number;
  readonly inputName?: string;
  readonly outputName?: string;
}

/**
 * float32 [batch, C, size, size] -> [batch, C]: the mean of each channel. With RGB input the
 * highest score names the dominant colour, so an image's class is computable by hand.
 */
export function channelMeanModel(options: ChannelMeanOptions): Uint8Array {
  const channels = options.channels ?? 3;
  const inputName = options.inputName ?? 'pixels';
  const outputName = options.outputName ?? 'scores';
  return buildModel({
    inputs: [{ name: inputName, type: 'FP32', dims: ['batch', channels, options.size, options.size] }],
    outputs: [{ name: outputName, type: 'FP32', dims: ['batch', channels] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: [inputName], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: [outputName], attributes: { axis: { kind: 'int', value: 1 } } },
    ],
  });
}
