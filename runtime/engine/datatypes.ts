// The Open Inference Protocol's tensor datatypes and how each maps onto onnxruntime-node
// and Triton's model configuration. One table, so every codec agrees.

export type Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** Element storage of a numeric tensor: FP16 as raw IEEE half bits, BOOL as 0/1 bytes. */
export type NumericData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Tensor elements: a typed array, or strings for BYTES. */
export type TensorData = NumericData | readonly string[];

type NumericArrayConstructor = {
  new (length: number): NumericData;
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NumericData;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DatatypeInfo {
  /** onnxruntime-node's tensor type name. */
  readonly ort: string;
  /** Bytes per element on the wire; 0 for BYTES (length-prefixed). */
  readonly size: number;
  readonly array: NumericArrayConstructor | undefined;
  /** Triton model-configuration name. */
  readonly triton: string;
  /** Inclusive integer range for JSON validation; undefined for floats, BOOL and BYTES. */
  readonly range?: readonly [bigint, bigint];
}

const int = (bits: number, signed: boolean): readonly [bigint, bigint] =>
  signed ? [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n] : [0n, (1n << BigInt(bits)) - 1n];

export const DATATYPES: Readonly<Record<Datatype, DatatypeInfo>> = {
  BOOL: { ort: 'bool', size: 1, array: Uint8Array, triton: 'TYPE_BOOL' },
  UINT8: { ort: 'uint8', size: 1, array: Uint8Array, triton: 'TYPE_UINT8', range: int(8, false) },
  UINT16: { ort: 'uint16', size: 2, array: Uint16Array, triton: 'TYPE_UINT16', range: int(16, false) },
  UINT32: { ort: 'uint32', size: 4, array: Uint32Array, triton: 'TYPE_UINT32', range: int(32, false) },
  UINT64: { ort: 'uint64', size: 8, array: BigUint64Array, triton: 'TYPE_UINT64', range: int(64, false) },
  INT8: { ort: 'int8', size: 1, array: Int8Array, triton: 'TYPE_INT8', range: int(8, true) },
  INT16: { ort: 'int16', size: 2, array: Int16Array, triton: 'TYPE_INT16', range: int(16, true) },
  INT32: { ort: 'int32', size: 4, array: Int32Array, triton: 'TYPE_INT32', range: int(32, true) },
  INT64: { ort: 'int64', size: 8, array: BigInt64Array, triton: 'TYPE_INT64', range: int(64, true) },
  FP16: { ort: 'float16', size: 2, array: Uint16Array, triton: 'TYPE_FP16' },
  FP32: { ort: 'float32', size: 4, array: Float32Array, triton: 'TYPE_FP32' },
  FP64: { ort: 'float64', size: 8, array: Float64Array, triton: 'TYPE_FP64' },
  BYTES: { ort: 'string', size: 0, array: undefined, triton: 'TYPE_STRING' },
};

const BY_ORT: ReadonlyMap<string, Datatype> = new Map(
  (Object.keys(DATATYPES) as Datatype[]).map((datatype) => [DATATYPES[datatype].ort, datatype]),
);

/** The V2 datatype of an onnxruntime tensor type, or undefined when V2 has none (e.g. int4). */
export function datatypeFromOrt(ortType: string): Datatype | undefined {
  return BY_ORT.get(ortType);
}

/** Whether a string is a V2 datatype name. */
export function isDatatype(name: unknown): name is Datatype {
  return typeof name === 'string' && Object.hasOwn(DATATYPES, name);
}
