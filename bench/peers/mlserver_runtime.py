"""MLServer's custom-runtime way of serving an ONNX model: an MLModel running onnxruntime.

bench/peers.ts copies this file next to model-settings.json, whose parameters.uri names the
model file, and runs `mlserver start` on that folder.
"""

import onnxruntime
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OnnxRuntimeModel(MLModel):
    async def load(self) -> bool:
        self.session = onnxruntime.InferenceSession(await get_model_uri(self._settings), providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_name = self.session.get_outputs()[0].name
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        features = NumpyCodec.decode_input(payload.inputs[0])
        result = self.session.run(None, {self.input_name: features})[0]
        return InferenceResponse(
            model_name=self.name,
            id=payload.id,
            outputs=[NumpyCodec.encode_output(self.output_name, result)],
        )
