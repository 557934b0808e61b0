"""Drives a kubeinfer gRPC endpoint with Triton's own Python gRPC client (tritonclient[grpc]).

Usage: python3 tritonclient_grpc_check.py <host:port> <model> <version>
The model is tools/onnx/models.ts everyTypeModel(): in_<TYPE> -> out_<TYPE>, [batch, 2], for
every datatype, served with max batch size 8. <version> is the version every answer must name.
Prints "ok" and exits 0 when every check passes; any failure raises.
"""
import asyncio
import queue
import sys

import ml_dtypes
import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as aioclient
from tritonclient.utils import InferenceServerException

SAMPLES = {
    "BOOL": np.array([[True, False], [False, True]], dtype=np.bool_),
    "UINT8": np.array([[0, 255], [1, 2]], dtype=np.uint8),
    "UINT16": np.array([[0, 65535], [1, 2]], dtype=np.uint16),
    "UINT32": np.array([[0, 2**32 - 1], [1, 2]], dtype=np.uint32),
    "UINT64": np.array([[0, 2**64 - 1], [1, 2]], dtype=np.uint64),
    "INT8": np.array([[-128, 127], [0, -1]], dtype=np.int8),
    "INT16": np.array([[-32768, 32767], [0, -1]], dtype=np.int16),
    "INT32": np.array([[-(2**31), 2**31 - 1], [0, -1]], dtype=np.int32),
    "INT64": np.array([[-(2**63), 2**63 - 1], [0, -1]], dtype=np.int64),
    "FP16": np.array([[0.5, -2.25], [65504, 1e-3]], dtype=np.float16),
    "FP32": np.array([[0.5, -2.25], [3.4e38, 1e-7]], dtype=np.float32),
    "FP64": np.array([[0.5, -2.25], [1.7e308, 1e-300]], dtype=np.float64),
    "BYTES": np.array([[b"hello", b""], ["gr\u00fc\u00dfe".encode(), b"x" * 300]], dtype=np.object_),
}


def every_type_inputs():
    inputs = []
    for datatype, array in SAMPLES.items():
        tensor = grpcclient.InferInput(f"in_{datatype}", list(array.shape), datatype)
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    return inputs


def expect_error(call, status, text):
    try:
        call()
    except InferenceServerException as error:
        assert error.status() == f"StatusCode.{status}", (error.status(), error.message())
        assert text in error.message(), error.message()
        return
    raise AssertionError(f"expected {status} ({text})")


def check_metadata(client, model, version):
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready(model)
    assert "model_configuration" in client.get_server_metadata(as_json=True)["extensions"]
    metadata = client.get_model_metadata(model, as_json=True)
    assert metadata["versions"] == [version], metadata
    assert {"name": "in_FP16", "datatype": "FP16", "shape": ["-1", "2"]} in metadata["inputs"], metadata
    config = client.get_model_config(model, as_json=True)["config"]
    assert config["max_batch_size"] == 8, config
    assert config["input"][0]["dims"] == ["2"], config
    assert config["dynamic_batching"]["max_queue_delay_microseconds"] == "1000", config
    assert {i["name"]: i["data_type"] for i in config["output"]}["out_BYTES"] == "TYPE_STRING", config


def check_every_type(client, model, version):
    wanted = ["out_INT64", "out_BYTES"]
    outputs = [grpcclient.InferRequestedOutput(name) for name in wanted]
    result = client.infer(model, every_type_inputs(), outputs=outputs, request_id="subset")
    response = result.get_response()
    assert [o.name for o in response.outputs] == wanted and response.id == "subset", response
    result = client.infer(model, every_type_inputs(), request_id="all")
    assert result.get_response().model_version == version
    for datatype, array in SAMPLES.items():
        np.testing.assert_array_equal(result.as_numpy(f"out_{datatype}"), array, err_msg=datatype)


def check_errors(client, model):
    ones = grpcclient.InferInput("in_FP32", [1, 2], "FP32")
    ones.set_data_from_numpy(np.ones((1, 2), dtype=np.float32))
    # The runtime says "unknown model 'missing'", the router 'model "missing" is not served here'.
    expect_error(lambda: client.get_model_metadata("missing"), "NOT_FOUND", "missing")
    expect_error(lambda: client.infer("missing", [ones]), "NOT_FOUND", "missing")
    wrong = grpcclient.InferInput("in_FP32", [1, 3], "FP32")
    wrong.set_data_from_numpy(np.ones((1, 3), dtype=np.float32))
    wrong.set_shape([1, 2])
    expect_error(lambda: client.infer(model, [wrong]), "INVALID_ARGUMENT", "has 12 bytes of binary data but its shape needs 2 FP32 elements (8 bytes)")
    bf16 = grpcclient.InferInput("in_FP32", [1, 2], "BF16")
    bf16.set_data_from_numpy(np.ones((1, 2), dtype=ml_dtypes.bfloat16))
    expect_error(lambda: client.infer(model, [bf16]), "INVALID_ARGUMENT", "has datatype \"BF16\"; expected one of")
    expect_error(lambda: client.infer(model, [ones]), "INVALID_ARGUMENT", "missing input 'in_UINT8'")


def check_stream(client, model, version):
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    for i in range(10):
        client.async_stream_infer(model, every_type_inputs(), request_id=f"s{i}")
    client.async_stream_infer("missing", every_type_inputs(), request_id="bad")
    client.stop_stream()
    ids, errors = set(), []
    for _ in range(11):
        result, error = answers.get(timeout=30)
        if error is not None:
            errors.append(error.message())
            continue
        assert result.get_response().model_version == version
        np.testing.assert_array_equal(result.as_numpy("out_BYTES"), SAMPLES["BYTES"])
        ids.add(result.get_response().id)
    assert ids == {f"s{i}" for i in range(10)}, ids
    assert len(errors) == 1 and "missing" in errors[0], errors


async def check_aio(url, model):
    async with aioclient.InferenceServerClient(url=url) as client:
        assert await client.is_model_ready(model)
        result = await client.infer(model, every_type_inputs())
        np.testing.assert_array_equal(result.as_numpy("out_UINT64"), SAMPLES["UINT64"])

        async def requests():
            for i in range(3):
                yield {"model_name": model, "inputs": every_type_inputs(), "request_id": f"a{i}"}

        seen = set()
        async for result, error in client.stream_infer(requests()):
            assert error is None, error
            seen.add(result.get_response().id)
            if len(seen) == 3:
                break
        assert seen == {"a0", "a1", "a2"}, seen


def check(url, model, version):
    client = grpcclient.InferenceServerClient(url=url)
    check_metadata(client, model, version)
    check_every_type(client, model, version)
    check_errors(client, model)
    pending = queue.Queue()
    for _ in range(8):
        client.async_infer(model, every_type_inputs(), callback=lambda result, error: pending.put(error))
    assert all(pending.get(timeout=30) is None for _ in range(8))
    check_stream(client, model, version)
    asyncio.run(check_aio(url, model))
    stats = client.get_inference_statistics(model, as_json=True)["model_stats"][0]
    assert int(stats["inference_count"]) >= 23, stats
    client.close()


if __name__ == "__main__":
    check(sys.argv[1], sys.argv[2], sys.argv[3])
    print("ok")
