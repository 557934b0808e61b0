// A convolutional network whose load is dominated by graph optimisation: blocks of
// Conv -> BatchNormalization -> Relu, which onnxruntime folds, fuses and re-lays out
// (NCHWc) at load. The start-time benchmark of the optimised-model cache uses it.
import { randomWeights, seededRandom } from './models.ts';
import { buildModel, type Initializer, type OnnxNode } from './proto.ts';

export interface ConvNetOptions {
  readonly blocks?: number;
  readonly channels?: number;
  readonly size?: number;
}

/** float32 'input' [batch, 3, size, size] -> `blocks` x (Conv 3x3, BatchNorm, Relu) -> mean -> 'output' [batch, channels]. */
export function convNetModel(options: ConvNetOptions = {}): Uint8Array {
  const blocks = options.blocks ?? 24;
  const channels = options.channels ?? 64;
  const size = options.size ?? 32;
  const next = seededRandom(11);
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  let current = 'input';
  let inChannels = 3;
  for (let i = 0; i < blocks; i++) {
    const fanIn = inChannels * 9;
    initializers.push(
      {
        name: `w${i}`,
        type: 'FP32',
        dims: [channels, inChannels, 3, 3],
        data: randomWeights(channels * fanIn, 1 / Math.sqrt(fanIn), next),
      },
      { name: `scale${i}`, type: 'FP32', dims: [channels], data: randomWeights(channels, 0.1, next).map((v) => 1 + v) },
      { name: `shift${i}`, type: 'FP32', dims: [channels], data: randomWeights(channels, 0.1, next) },
      { name: `mean${i}`, type: 'FP32', dims: [channels], data: randomWeights(channels, 0.1, next) },
      { name: `var${i}`, type: 'FP32', dims: [channels], data: new Float32Array(channels).fill(1) },
    );
    nodes.push(
      { op: 'Conv', inputs: [current, `w${i}`], outputs: [`conv${i}`], attributes: { pads: { kind: 'ints', value: [1, 1, 1, 1] } } },
      { op: 'BatchNormalization', inputs: [`conv${i}`, `scale${i}`, `shift${i}`, `mean${i}`, `var${i}`], outputs: [`bn${i}`] },
      { op: 'Relu', inputs: [`bn${i}`], outputs: [`relu${i}`] },
    );
    current = `relu${i}`;
    inChannels = channels;
  }
  nodes.push(
    { op: 'GlobalAveragePool', inputs: [current], outputs: ['pooled'] },
    { op: 'Flatten', inputs: ['pooled'], outputs: ['output'], attributes: { axis: { kind: 'int', value: 1 } } },
  );
  return buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: ['batch', 3, size, size] }],
    outputs: [{ name: 'output', type: 'FP32', dims: ['batch', channels] }],
    nodes,
    initializers,
  });
}
