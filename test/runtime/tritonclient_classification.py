"""Triton's classification extension through Triton's own Python HTTP client.

Usage: python3 tritonclient_classification.py <host:port> <model> <labels-file or "-">
The model is tools/onnx/models.ts identityModel('FP32', ['batch', 5]): the scores sent are
the scores classified, so the expected strings are computed here with C's "%f" formatting
(Python's % operator rounds the same way). Prints "ok" when every check passes.
"""
import sys

import numpy as np
import tritonclient.http as httpclient


def expected(scores: np.ndarray, count: int, labels: list) -> np.ndarray:
    rows = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:count]
        strings = []
        for index in order:
            text = "%f:%d" % (float(row[index]), index)
            if index < len(labels) and labels[index] != "":
                text += ":" + labels[index]
            strings.append(text)
        rows.append(strings)
    return np.array(rows, dtype=np.object_)


def check(url: str, model: str, labels: list) -> None:
    client = httpclient.InferenceServerClient(url=url)
    # 0.0078125 is an exact tie at six decimals: C prints 0.007812, not 0.007813.
    scores = np.array([[0.1, 0.7, 0.0078125, 0.2, -1.5], [3.0, 3.0, 1e-7, -0.0, 2.5]], dtype=np.float32)
    for binary in (True, False):
        inputs = [httpclient.InferInput("input", list(scores.shape), "FP32")]
        inputs[0].set_data_from_numpy(scores, binary_data=binary)
        for count in (1, 3, 9):
            outputs = [httpclient.InferRequestedOutput("output", binary_data=binary, class_count=count)]
            result = client.infer(model, inputs, outputs=outputs)
            # tritonclient gives bytes for binary outputs and str for JSON ones, as with Triton.
            got = np.vectorize(lambda s: s.decode() if isinstance(s, bytes) else s, otypes=[np.object_])(result.as_numpy("output"))
            want = expected(scores, count, labels)
            assert got.shape == want.shape, (got.shape, want.shape)
            assert (got == want).all(), (binary, count, got.tolist(), want.tolist())
    client.close()


if __name__ == "__main__":
    labels_path = sys.argv[3]
    labels = [] if labels_path == "-" else open(labels_path).read().splitlines()
    check(sys.argv[1], sys.argv[2], labels)
    print("ok")
