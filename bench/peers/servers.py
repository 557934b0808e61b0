"""The Python peers of bench/peers.ts, each serving one ONNX model as 'm' over V2 REST.

  python servers.py kserve MODEL HTTP_PORT
  python servers.py pytriton MODEL HTTP_PORT GRPC_PORT METRICS_PORT
  (MLServer runs its own CLI on mlserver_runtime.py.)

Each peer runs onnxruntime with its default session options, as a user would write it, and
logs nothing per request (access and latency logging off), for fairness.
"""

import logging
import sys

import numpy as np
import onnxruntime


def onnx_session(model_path: str) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])


def serve_kserve(model_path: str, http_port: int) -> None:
    import kserve
    from kserve import InferOutput, InferRequest, InferResponse

    class OnnxModel(kserve.Model):
        def load(self) -> bool:
            self.session = onnx_session(model_path)
            self.ready = True
            return True

        def predict(self, payload: InferRequest, headers=None) -> InferResponse:
            result = self.session.run(None, {self.session.get_inputs()[0].name: payload.inputs[0].as_numpy()})[0]
            output = InferOutput(name=self.session.get_outputs()[0].name, shape=list(result.shape), datatype="FP32")
            output.set_data_from_numpy(result, binary_data=False)
            return InferResponse(model_name=self.name, infer_outputs=[output], response_id=payload.id or "")

    model = OnnxModel("m")
    model.load()
    server = kserve.ModelServer(http_port=http_port, enable_grpc=False, enable_latency_logging=False, workers=1)
    logging.disable(logging.INFO)
    server.start([model])


def serve_pytriton(model_path: str, http_port: int, grpc_port: int, metrics_port: int) -> None:
    from pytriton.decorators import batch
    from pytriton.model_config import ModelConfig, Tensor
    from pytriton.triton import Triton, TritonConfig

    session = onnx_session(model_path)
    input_name, output_name = session.get_inputs()[0].name, session.get_outputs()[0].name

    @batch
    def infer(**inputs):
        return {output_name: session.run(None, {input_name: inputs[input_name]})[0]}

    config = TritonConfig(
        http_address="127.0.0.1",
        http_port=http_port,
        grpc_address="127.0.0.1",
        grpc_port=grpc_port,
        metrics_port=metrics_port,
        allow_metrics=False,
        log_verbose=0,
    )
    with Triton(config=config) as triton:
        triton.bind(
            model_name="m",
            infer_func=infer,
            inputs=[Tensor(name=input_name, dtype=np.float32, shape=(session.get_inputs()[0].shape[-1],))],
            outputs=[Tensor(name=output_name, dtype=np.float32, shape=(session.get_outputs()[0].shape[-1],))],
            config=ModelConfig(max_batch_size=64),
            strict=False,
        )
        logging.disable(logging.INFO)
        triton.serve()


if __name__ == "__main__":
    peer, model, *ports = sys.argv[1:]
    if peer == "kserve":
        serve_kserve(model, int(ports[0]))
    elif peer == "pytriton":
        serve_pytriton(model, *(int(port) for port in ports))
    else:
        sys.exit(f"unknown peer {peer!r}: expected kserve or pytriton")
