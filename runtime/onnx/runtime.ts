// Loads onnxruntime-node in a form that handles every tensor type.
//
// Why hide Float16Array: onnxruntime-common stores 'float16' tensors in a Float16Array when
// the global exists (Node 24 has it), but the native binding of onnxruntime-node 1.30 cannot
// read one ("not enough space: expected 8, got 0"). Without the global, float16 tensors use
// Uint16Array (raw IEEE half bits) in both directions, which is also what the wire formats
// need. The type map is built lazily on the first Tensor, so this must run before any.

type OnnxRuntime = typeof import('onnxruntime-node');

let loading: Promise<OnnxRuntime> | undefined;

/** Imports onnxruntime-node once, with float16 tensors backed by Uint16Array. */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  if (loading === undefined) {
    Reflect.deleteProperty(globalThis, 'Float16Array');
    loading = import('onnxruntime-node');
  }
  return loading;
}
