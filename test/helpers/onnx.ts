// A dependency-free writer for small ONNX models, so tests and examples generate the
// exact models they need instead of shipping binaries. It emits the protobuf wire format
// of onnx.proto (ModelProto/GraphProto/NodeProto/TensorProto/ValueInfoProto) directly.

/** ONNX element types by the names the Open Inference Protocol uses. */
export type OnnxElemType =
  | 'FP32' | 'UINT8' | 'INT8' | 'UINT16' | 'INT16' | 'INT32' | 'INT64' | 'BYTES'
  | 'BOOL' | 'FP16' | 'FP64' | 'UINT32' | 'UINT64';

/** TensorProto.DataType numbers from onnx.proto. */
export const ONNX_ELEM_TYPE: Readonly<Record<OnnxElemType, number>> = {
  FP32: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BYTES: 8,
  BOOL: 9, FP16: 10, FP64: 11, UINT32: 12, UINT64: 13,
};

/** One dimension: a fixed size, or a symbolic name such as 'batch' (dynamic). */
export type Dim = number | string;

export interface ValueInfo { readonly name: string; readonly type: OnnxElemType; readonly dims: readonly Dim[] }

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: Initializer };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A constant tensor; numeric data as numbers (FP16 as its raw uint16 bits), BYTES as strings. */
export interface Initializer {
  readonly name: string;
  readonly type: OnnxElemType;
  readonly dims: readonly number[];
  readonly data: readonly number[] | readonly bigint[] | readonly string[] | readonly boolean[] | Float32Array;
}

export interface ModelSpec {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers?: readonly Initializer[];
  readonly opset?: number;
  readonly graphName?: string;
}

// ---- protobuf wire format --------------------------------------------------------

class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) { out.set(chunk, offset); offset += chunk.length; }
    return out;
  }

  private push(chunk: Uint8Array): void { this.chunks.push(chunk); this.size += chunk.length; }

  private varint(value: bigint): void {
    // Negative int64 values are written as 10-byte two's complement, as protobuf does.
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void { this.varint(BigInt((field << 3) | wireType)); }

  int(field: number, value: number | bigint): void { this.tag(field, 0); this.varint(BigInt(value)); }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
  }

  raw(field: number, data: Uint8Array): void { this.tag(field, 2); this.varint(BigInt(data.length)); this.push(data); }

  string(field: number, value: string): void { this.raw(field, new TextEncoder().encode(value)); }

  message(field: number, build: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    build(inner);
    this.raw(field, inner.bytes());
  }

  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(BigInt(v));
    this.raw(field, inner.bytes());
  }

  packedFloats(field: number, values: readonly number[]): void {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.raw(field, b);
  }
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** Little-endian raw bytes of a numeric initializer (TensorProto.raw_data). */
function rawTensorData(init: Initializer): Uint8Array {
  const { type, data } = init;
  if (data instanceof Float32Array && type === 'FP32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const values = Array.from(data as ArrayLike<number | bigint | boolean>);
  const width: Record<Exclude<OnnxElemType, 'BYTES'>, number> = {
    FP32: 4, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, INT32: 4, INT64: 8, BOOL: 1, FP16: 2, FP64: 8, UINT32: 4, UINT64: 8,
  };
  const size = width[type as Exclude<OnnxElemType, 'BYTES'>];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    switch (type) {
      case 'FP32': view.setFloat32(at, Number(v), true); break;
      case 'FP64': view.setFloat64(at, Number(v), true); break;
      case 'UINT8': case 'BOOL': view.setUint8(at, Number(v)); break;
      case 'INT8': view.setInt8(at, Number(v)); break;
      case 'UINT16': case 'FP16': view.setUint16(at, Number(v), true); break;
      case 'INT16': view.setInt16(at, Number(v), true); break;
      case 'INT32': view.setInt32(at, Number(v), true); break;
      case 'UINT32': view.setUint32(at, Number(v), true); break;
      case 'INT64': view.setBigInt64(at, BigInt(v), true); break;
      case 'UINT64': view.setBigUint64(at, BigInt(v), true); break;
      default: throw new Error(`no raw encoding for ${type}`);
    }
  });
  return out;
}

function writeTensor(w: ProtoWriter, init: Initializer): void {
  w.packedInts(1, init.dims);
  w.int(2, ONNX_ELEM_TYPE[init.type]);
  w.string(8, init.name);
  if (init.type === 'BYTES') {
    for (const s of init.data as readonly string[]) w.string(6, s);
  } else {
    w.raw(9, rawTensorData(init));
  }
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, ONNX_ELEM_TYPE[info.type]);
    tensor.message(2, (shape) => {
      for (const dim of info.dims) {
        shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
      }
    });
  }));
}

function writeAttribute(w: ProtoWriter, name: string, attr: AttributeValue): void {
  w.string(1, name);
  w.int(20, ATTRIBUTE_TYPE[attr.kind]);
  switch (attr.kind) {
    case 'float': w.float(2, attr.value); break;
    case 'int': w.int(3, attr.value); break;
    case 'string': w.string(4, attr.value); break;
    case 'tensor': w.message(5, (t) => writeTensor(t, attr.value)); break;
    case 'floats': w.packedFloats(7, attr.value); break;
    case 'ints': w.packedInts(8, attr.value); break;
  }
}

function writeNode(w: ProtoWriter, node: OnnxNode, index: number): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name ?? `${node.op.toLowerCase()}_${index}`);
  w.string(4, node.op);
  for (const [name, attr] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, attr));
}

/**
 * Serializes a model to ONNX protobuf bytes (IR version 8, default opset 17).
 * @example buildModel({inputs: [{name: 'x', type: 'FP32', dims: ['batch', 4]}], outputs: [{name: 'y', type: 'FP32', dims: ['batch', 4]}], nodes: [{op: 'Identity', inputs: ['x'], outputs: ['y']}]})
 */
export function buildModel(spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8);
  w.string(2, 'kubeinfer-test');
  w.message(7, (graph) => {
    spec.nodes.forEach((node, i) => graph.message(1, (n) => writeNode(n, node, i)));
    graph.string(2, spec.graphName ?? 'graph');
    for (const init of spec.initializers ?? []) graph.message(5, (t) => writeTensor(t, init));
    for (const input of spec.inputs) graph.message(11, (v) => writeValueInfo(v, input));
    for (const output of spec.outputs) graph.message(12, (v) => writeValueInfo(v, output));
  });
  w.message(8, (opset) => { opset.string(1, ''); opset.int(2, spec.opset ?? 17); });
  return w.bytes();
}

// ---- ready-made models -------------------------------------------------------------

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

function randomWeights(count: number, scale: number, next: () => number): Float32Array {
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
 * Two inputs, three outputs of two types: a, b FP32 [batch, features] ->
 * sum = a + b, product = a * b (FP32), greater = a > b (BOOL).
 */
export function multiIoModel(features = 3): Uint8Array {
  const dims = ['batch', features];
  return buildModel({
    inputs: [{ name: 'a', type: 'FP32', dims }, { name: 'b', type: 'FP32', dims }],
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
