// Small ONNX models generated in code, so tests and examples build the exact models they
// need instead of shipping binaries. buildModel() writes any graph; the factories below
// cover the shapes and element types the runtime must serve.
import { buildModel, ONNX_ELEM_TYPE, type Dim, type Initializer, type OnnxElemType, type OnnxNode } from './proto.ts';

export { buildModel, ONNX_ELEM_TYPE } from './proto.ts';
export type { AttributeValue, Dim, Initializer, ModelSpec, OnnxElemType, OnnxNode, ValueInfo } from './proto.ts';

/** Deterministic pseudo-random numbers in [-1, 1) (mulberry32), so weights are stable across runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomWeights(count: number, scale: number, next: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = next() * scale;
  return out;
}

export interface MlpOptions {
  /** Layer widths, input first: [784, 512, 512, 10] is a 784-input, 10-output MLP. */
  readonly layers?: readonly number[];
  readonly seed?: number;
  /** Leading dimension: 'batch' (dynamic, the default) or a fixed size. */
  readonly batch?: Dim;
  readonly inputName?: string;
  readonly outputName?: string;
}

/** A float32 MLP (Gemm + Relu per hidden layer) with a dynamic batch dimension by default. */
export function mlpModel(options: MlpOptions = {}): Uint8Array {
  const layers = options.layers ?? [4, 8, 3];
  const batch = options.batch ?? 'batch';
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const next = seededRandom(options.seed ?? 42);
  const nodes: OnnxNode[] = [];
  const initializers: Initializer[] = [];
  let current = inputName;
  for (let i = 0; i + 1 < layers.length; i++) {
    const [fanIn, fanOut] = [layers[i]!, layers[i + 1]!];
    const last = i + 2 === layers.length;
    const gemmOut = last ? outputName : `hidden_${i}`;
    initializers.push(
      { name: `w_${i}`, type: 'FP32', dims: [fanIn, fanOut], data: randomWeights(fanIn * fanOut, 1 / Math.sqrt(fanIn), next) },
      { name: `b_${i}`, type: 'FP32', dims: [fanOut], data: randomWeights(fanOut, 0.1, next) },
    );
    nodes.push({ op: 'Gemm', inputs: [current, `w_${i}`, `b_${i}`], outputs: [gemmOut] });
    current = gemmOut;
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [gemmOut], outputs: [`relu_${i}`] });
      current = `relu_${i}`;
    }
  }
  return buildModel({
    inputs: [{ name: inputName, type: 'FP32', dims: [batch, layers[0]!] }],
    outputs: [{ name: outputName, type: 'FP32', dims: [batch, layers.at(-1)!] }],
    nodes,
    initializers,
  });
}

export interface AddOptions {
  /** y = scale * x + offset. Two versions with different constants give different outputs. */
  readonly scale?: number;
  readonly offset?: number;
  readonly features?: number;
  readonly batch?: Dim;
}

/** y = scale * x + offset over float32 input 'input' [batch, features] -> 'output'. */
export function addModel(options: AddOptions = {}): Uint8Array {
  const features = options.features ?? 4;
  const batch = options.batch ?? 'batch';
  return buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: [batch, features] }],
    outputs: [{ name: 'output', type: 'FP32', dims: [batch, features] }],
    nodes: [
      { op: 'Mul', inputs: ['input', 'scale'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'offset'], outputs: ['output'] },
    ],
    initializers: [
      { name: 'scale', type: 'FP32', dims: [], data: [options.scale ?? 2] },
      { name: 'offset', type: 'FP32', dims: [], data: [options.offset ?? 1] },
    ],
  });
}

/**
 * The answers of `addModel` (y = scale * x + offset) after `rounds` extra 512x512 matrix
 * products per row whose result is multiplied by zero and added: a candidate that agrees
 * with addModel exactly but is slower by a chosen amount of real compute.
 */
export function slowAddModel(options: AddOptions & { readonly rounds: number }): Uint8Array {
  const features = options.features ?? 4;
  const width = 512;
  const chain: OnnxNode[] = [{ op: 'MatMul', inputs: ['input', 'widen'], outputs: ['h0'] }];
  for (let i = 1; i <= options.rounds; i += 1) chain.push({ op: 'MatMul', inputs: [`h${i - 1}`, 'mix'], outputs: [`h${i}`] });
  return buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: [options.batch ?? 'batch', features] }],
    outputs: [{ name: 'output', type: 'FP32', dims: [options.batch ?? 'batch', features] }],
    nodes: [
      ...chain,
      // Averaging weights keep every value finite, so zero times the work is exactly zero.
      {
        op: 'ReduceMean',
        inputs: [`h${options.rounds}`],
        outputs: ['work'],
        attributes: { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 1 } },
      },
      { op: 'Mul', inputs: ['work', 'zero'], outputs: ['nothing'] },
      { op: 'Mul', inputs: ['input', 'scale'], outputs: ['scaled'] },
      { op: 'Add', inputs: ['scaled', 'offset'], outputs: ['shifted'] },
      { op: 'Add', inputs: ['shifted', 'nothing'], outputs: ['output'] },
    ],
    initializers: [
      { name: 'widen', type: 'FP32', dims: [features, width], data: new Array(features * width).fill(1 / features) },
      { name: 'mix', type: 'FP32', dims: [width, width], data: new Array(width * width).fill(1 / width) },
      { name: 'zero', type: 'FP32', dims: [], data: [0] },
      { name: 'scale', type: 'FP32', dims: [], data: [options.scale ?? 2] },
      { name: 'offset', type: 'FP32', dims: [], data: [options.offset ?? 1] },
    ],
  });
}

/**
 * Two inputs, three outputs of two types: a, b FP32 [batch, features] ->
 * sum = a + b, product = a * b (FP32), greater = a > b (BOOL).
 */
export function multiIoModel(features = 3): Uint8Array {
  const dims = ['batch', features];
  return buildModel({
    inputs: [
      { name: 'a', type: 'FP32', dims },
      { name: 'b', type: 'FP32', dims },
    ],
    outputs: [
      { name: 'sum', type: 'FP32', dims },
      { name: 'product', type: 'FP32', dims },
      { name: 'greater', type: 'BOOL', dims },
    ],
    nodes: [
      { op: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
      { op: 'Mul', inputs: ['a', 'b'], outputs: ['product'] },
      { op: 'Greater', inputs: ['a', 'b'], outputs: ['greater'] },
    ],
  });
}

/** 'input' -> Identity -> 'output' of any element type; dims default to ['batch', 4]. */
export function identityModel(type: OnnxElemType, dims: readonly Dim[] = ['batch', 4]): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', type, dims }],
    outputs: [{ name: 'output', type, dims }],
    nodes: [{ op: 'Identity', inputs: ['input'], outputs: ['output'] }],
  });
}

/** One Identity per element type: 'in_<TYPE>' -> 'out_<TYPE>' ([batch, 2]), for every type the protocol maps unless `types` narrows it. */
export function everyTypeModel(types: readonly OnnxElemType[] = Object.keys(ONNX_ELEM_TYPE) as OnnxElemType[]): Uint8Array {
  const dims = ['batch', 2];
  return buildModel({
    inputs: types.map((type) => ({ name: `in_${type}`, type, dims })),
    outputs: types.map((type) => ({ name: `out_${type}`, type, dims })),
    nodes: types.map((type) => ({ op: 'Identity', inputs: [`in_${type}`], outputs: [`out_${type}`] })),
  });
}

/** 'input' of type `from` -> Cast -> 'output' of type `to`; dims default to ['batch', 4]. */
export function castModel(from: OnnxElemType, to: OnnxElemType, dims: readonly Dim[] = ['batch', 4]): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', type: from, dims }],
    outputs: [{ name: 'output', type: to, dims }],
    nodes: [{ op: 'Cast', inputs: ['input'], outputs: ['output'], attributes: { to: { kind: 'int', value: ONNX_ELEM_TYPE[to] } } }],
  });
}

/** A model with no dynamic dimension: float32 'input' [2, 3] -> 'output' = input * 3 [2, 3]. */
export function fixedShapeModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: [2, 3] }],
    outputs: [{ name: 'output', type: 'FP32', dims: [2, 3] }],
    nodes: [{ op: 'Mul', inputs: ['input', 'three'], outputs: ['output'] }],
    initializers: [{ name: 'three', type: 'FP32', dims: [], data: [3] }],
  });
}

export interface ImageOptions {
  /** Leading dimension: 'batch' (dynamic, the default) or 1. */
  readonly batch?: Dim;
  readonly classes?: number;
  readonly size?: number;
  readonly seed?: number;
}

/**
 * A payload-bound image classifier: float32 'input' [batch, 3, 224, 224] ->
 * GlobalAveragePool -> Flatten -> Gemm -> Softmax -> 'output' [batch, classes].
 */
export function imageModel(options: ImageOptions = {}): Uint8Array {
  const batch = options.batch ?? 'batch';
  const classes = options.classes ?? 10;
  const size = options.size ?? 224;
  const next = seededRandom(options.seed ?? 7);
  return buildModel({
    inputs: [{ name: 'input', type: 'FP32', dims: [batch, 3, size, size] }],
    outputs: [{ name: 'output', type: 'FP32', dims: [batch, classes] }],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attributes: { axis: { kind: 'int', value: 1 } } },
      { op: 'Gemm', inputs: ['flat', 'w', 'b'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['output'], attributes: { axis: { kind: 'int', value: 1 } } },
    ],
    initializers: [
      { name: 'w', type: 'FP32', dims: [3, classes], data: randomWeights(3 * classes, 1, next) },
      { name: 'b', type: 'FP32', dims: [classes], data: randomWeights(classes, 0.1, next) },
    ],
  });
}

/** Bytes that are not an ONNX model, for load-failure tests. */
export function corruptModel(): Uint8Array {
  return new TextEncoder().encode('this is not an onnx model');
}

export { argmaxModel, channelMeanModel, scalerModel } from './pipeline-models.ts';
export type { ArgmaxOptions, ChannelMeanOptions, ScalerOptions } from './pipeline-models.ts';
