"""Compressed variants of an FP32 ONNX model, made with the tools users already use.

  python tools/onnx/compress.py MODEL.onnx OUT_DIR [--features N]

Writes four files to OUT_DIR:
  int8-dynamic.onnx  onnxruntime.quantization.quantize_dynamic: INT8 weights, activations
                     quantized per batch at run time (MatMulInteger); no calibration data.
  int8-qdq.onnx      onnxruntime.quantization.quantize_static in QDQ format, calibrated on
                     seeded uniform [0, 1) inputs (the distribution the tests and bench send).
  fp16.onnx          onnxconverter_common.float16: weights, activations, inputs and outputs FP16.
  fp16-io32.onnx     the same with keep_io_types=True: FP16 inside, FP32 at the edges.
Needs: pip install onnx onnxruntime onnxconverter-common
"""

import argparse
import os

import numpy as np
import onnx
from onnxconverter_common import float16
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)

CALIBRATION_SEED = 7
CALIBRATION_ROWS = 256


class UniformRows(CalibrationDataReader):
    """Batch-1 rows of seeded uniform [0, 1) inputs, one per get_next call."""

    def __init__(self, input_name: str, features: int):
        rng = np.random.default_rng(CALIBRATION_SEED)
        rows = rng.random((CALIBRATION_ROWS, 1, features), dtype=np.float32)
        self.feeds = iter([{input_name: row} for row in rows])

    def get_next(self):
        return next(self.feeds, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("out_dir")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    model = onnx.load(args.model)
    graph_input = model.graph.input[0]
    features = graph_input.type.tensor_type.shape.dim[-1].dim_value
    out = lambda name: os.path.join(args.out_dir, name)  # noqa: E731

    quantize_dynamic(args.model, out("int8-dynamic.onnx"), weight_type=QuantType.QInt8)
    quantize_static(
        args.model,
        out("int8-qdq.onnx"),
        UniformRows(graph_input.name, features),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    onnx.save(float16.convert_float_to_float16(model, keep_io_types=False), out("fp16.onnx"))
    onnx.save(float16.convert_float_to_float16(model, keep_io_types=True), out("fp16-io32.onnx"))


if __name__ == "__main__":
    main()
