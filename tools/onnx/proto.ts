// The ONNX protobuf writer behind tools/onnx/models.ts: emits the wire format of onnx.proto
// (ModelProto/GraphProto/NodeProto/TensorProto/ValueInfoProto) with no dependencies.

/** ONNX element types by the names the Open Inference Protocol uses. */
export type OnnxElemType =
  | 'FP32'
  | 'UINT8'
  | 'INT8'
  | 'UINT16'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'BYTES'
  | 'BOOL'
  | 'FP16'
  | 'FP64'
  | 'UINT32'
  | 'UINT64';

/** TensorProto.DataType numbers from onnx.proto. */
export const ONNX_ELEM_TYPE: Readonly<Record<OnnxElemType, number>> = {
  FP32: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BYTES: 8,
  BOOL: 9,
  FP16: 10,
  FP64: 11,
  UINT32: 12,
  UINT64: 13,
};

/** One dimension: a fixed size, or a symbolic name such as 'batch' (dynamic). */
export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly type: OnnxElemType;
  readonly dims: readonly Dim[];
}

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
  readonly #chunks: Uint8Array[] = [];
  #size = 0;

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  #varint(value: bigint): void {
    // Negative int64 values are written as 10-byte two's complement, as protobuf does.
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.#push(Uint8Array.from(out));
  }

  #tag(field: number, wireType: number): void {
    this.#varint(BigInt((field << 3) | wireType));
  }

  int(field: number, value: number | bigint): void {
    this.#tag(field, 0);
    this.#varint(BigInt(value));
  }

  float(field: number, value: number): void {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#push(b);
  }

  raw(field: number, data: Uint8Array): void {
    this.#tag(field, 2);
    this.#varint(BigInt(data.length));
    this.#push(data);
  }

  string(field: number, value: string): void {
    this.raw(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    build(inner);
    this.raw(field, inner.bytes());
  }

  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(BigInt(v));
    this.raw(field, inner.bytes());
  }

  packedFloats(field: number, values: readonly number[]): void {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    for (const [i, v] of values.entries()) view.setFloat32(i * 4, v, true);
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
    FP32: 4,
    UINT8: 1,
    INT8: 1,
    UINT16: 2,
    INT16: 2,
    INT32: 4,
    INT64: 8,
    BOOL: 1,
    FP16: 2,
    FP64: 8,
    UINT32: 4,
    UINT64: 8,
  };
  const size = width[type as Exclude<OnnxElemType, 'BYTES'>];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    switch (type) {
      case 'FP32':
        view.setFloat32(at, Number(v), true);
        break;
      case 'FP64':
        view.setFloat64(at, Number(v), true);
        break;
      case 'UINT8':
      case 'BOOL':
        view.setUint8(at, Number(v));
        break;
      case 'INT8':
        view.setInt8(at, Number(v));
        break;
      case 'UINT16':
      case 'FP16':
        view.setUint16(at, Number(v), true);
        break;
      case 'INT16':
        view.setInt16(at, Number(v), true);
        break;
      case 'INT32':
        view.setInt32(at, Number(v), true);
        break;
      case 'UINT32':
        view.setUint32(at, Number(v), true);
        break;
      case 'INT64':
        view.setBigInt64(at, BigInt(v), true);
        break;
      case 'UINT64':
        view.setBigUint64(at, BigInt(v), true);
        break;
      default:
        throw new Error(`no raw encoding for ${type}`);
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
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_ELEM_TYPE[info.type]);
      tensor.message(2, (shape) => {
        for (const dim of info.dims) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeAttribute(w: ProtoWriter, name: string, attr: AttributeValue): void {
  w.string(1, name);
  w.int(20, ATTRIBUTE_TYPE[attr.kind]);
  switch (attr.kind) {
    case 'float':
      w.float(2, attr.value);
      break;
    case 'int':
      w.int(3, attr.value);
      break;
    case 'string':
      w.string(4, attr.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, attr.value));
      break;
    case 'floats':
      w.packedFloats(7, attr.value);
      break;
    case 'ints':
      w.packedInts(8, attr.value);
      break;
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
    for (const [i, node] of spec.nodes.entries()) graph.message(1, (n) => writeNode(n, node, i));
    graph.string(2, spec.graphName ?? 'graph');
    for (const init of spec.initializers ?? []) graph.message(5, (t) => writeTensor(t, init));
    for (const input of spec.inputs) graph.message(11, (v) => writeValueInfo(v, input));
    for (const output of spec.outputs) graph.message(12, (v) => writeValueInfo(v, output));
  });
  w.message(8, (opset) => {
    opset.string(1, '');
    opset.int(2, spec.opset ?? 17);
  });
  return w.bytes();
}
