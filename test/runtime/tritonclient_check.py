"""Drives a kubeinfer server with Triton's own Python HTTP client (tritonclient[http]).

Usage: python3 tritonclient_check.py <host:port> <model>
The model is tools/onnx/models.ts multiIoModel(3): a, b FP32 [batch, 3] -> sum, product, greater.
Prints "ok" and exits 0 when every check passes; any failure raises.
"""
import sys

import numpy as np
import tritonclient.http as httpclient


def check(url: str, model: str) -> None:
    client = httpclient.InferenceServerClient(url=url)
    assert client.is_server_live(), "server not live"
    assert client.is_server_ready(), "server not ready"
    assert client.is_model_ready(model), "model not ready"
    assert "binary_tensor_data" in client.get_server_metadata()["extensions"]

    metadata = client.get_model_metadata(model)
    assert [i["name"] for i in metadata["inputs"]] == ["a", "b"], metadata
    config = client.get_model_config(model)
    assert config["max_batch_size"] == 8, config
    assert config["input"][0]["dims"] == [3], config

    a = np.array([[1, 5, 3], [0, -1, 2]], dtype=np.float32)
    b = np.array([[2, 4, 3], [1, -2, 2]], dtype=np.float32)
    for binary in (True, False):
        inputs = [httpclient.InferInput("a", list(a.shape), "FP32"), httpclient.InferInput("b", list(b.shape), "FP32")]
        inputs[0].set_data_from_numpy(a, binary_data=binary)
        inputs[1].set_data_from_numpy(b, binary_data=binary)
        outputs = [
            httpclient.InferRequestedOutput("sum", binary_data=binary),
            httpclient.InferRequestedOutput("greater", binary_data=binary),
        ]
        result = client.infer(model, inputs, outputs=outputs, request_id="tc-1")
        assert result.get_response()["id"] == "tc-1"
        np.testing.assert_array_equal(result.as_numpy("sum"), a + b)
        np.testing.assert_array_equal(result.as_numpy("greater"), a > b)
        assert result.as_numpy("product") is None, "an output that was not requested came back"

    # Every output by default, through the async API.
    inputs = [httpclient.InferInput("a", [1, 3], "FP32"), httpclient.InferInput("b", [1, 3], "FP32")]
    inputs[0].set_data_from_numpy(a[:1])
    inputs[1].set_data_from_numpy(b[:1])
    pending = [client.async_infer(model, inputs) for _ in range(8)]
    for request in pending:
        np.testing.assert_array_equal(request.get_result().as_numpy("product"), a[:1] * b[:1])

    try:
        client.get_model_metadata("missing")
        raise AssertionError("metadata of an unknown model succeeded")
    except httpclient.InferenceServerException as error:
        assert "unknown model 'missing'" in error.message(), error.message()

    stats = client.get_inference_statistics(model)["model_stats"][0]
    assert stats["inference_count"] >= 12, stats
    client.close()


if __name__ == "__main__":
    check(sys.argv[1], sys.argv[2])
    print("ok")
