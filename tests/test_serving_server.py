"""The real scoring server over HTTP: every payload format, every error, limits, logs, load."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runreport
import runreport.pyfunc
from tests.test_serving_support import (
    Server,
    need,
    purchase_frame,
    save_purchase_model,
    save_tensor_model,
    save_types_model,
    start_servers,
)

need("uvicorn", "starlette")  # the serve extra

pytestmark = pytest.mark.slow
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    save_purchase_model(root / "purchase")
    save_tensor_model(root / "tensor")
    save_types_model(root / "types")
    return root


@pytest.fixture(scope="module")
def servers(models: Path) -> Iterator[dict[str, Server]]:
    started = {
        "purchase": Server(str(models / "purchase"), models, "--max-body-size", "64KiB"),
        "tensor": Server(str(models / "tensor"), models),
        "types": Server(str(models / "types"), models),
    }
    try:
        start_servers(*started.values())
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture(scope="module")
def server(servers: dict[str, Server]) -> Server:
    return servers["purchase"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return purchase_frame(5, seed=7)


@pytest.fixture(scope="module")
def expected(models: Path, rows: pd.DataFrame) -> list[float]:
    return runreport.pyfunc.load_model(models / "purchase").predict(rows).tolist()


# ---------------------------------------------------------------- endpoints


def test_ping_health_and_version(server: Server) -> None:
    for path in ("/ping", "/health"):
        assert server.request("GET", path)[0] == 200
    status, _, body = server.request("GET", "/version")
    assert status == 200 and body.decode() == runreport.__version__


def _payloads(rows: pd.DataFrame) -> dict[str, Any]:
    records = json.loads(rows.to_json(orient="records"))
    return {
        "dataframe_split": json.loads(rows.to_json(orient="split", index=False)),
        "dataframe_records": records,
        "instances": records,
        "inputs": {name: rows[name].tolist() for name in rows.columns},
    }


@pytest.mark.parametrize("key", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_every_json_format_predicts_like_pyfunc(
    server: Server, rows: pd.DataFrame, expected: list[float], key: str
) -> None:
    status, answer = server.post_json({key: _payloads(rows)[key]})
    assert status == 200
    np.testing.assert_allclose(answer["predictions"], expected)


def test_csv_and_parquet_predict_like_pyfunc(
    server: Server, rows: pd.DataFrame, expected: list[float]
) -> None:
    body = rows.to_csv(index=False).encode()
    status, _, answer = server.request("POST", "/invocations", body, {"Content-Type": "text/csv"})
    assert status == 200
    np.testing.assert_allclose(json.loads(answer)["predictions"], expected)
    need("pyarrow")
    buffer = io.BytesIO()
    rows.to_parquet(buffer)
    headers = {"Content-Type": "application/vnd.apache.parquet"}
    status, _, answer = server.request("POST", "/invocations", buffer.getvalue(), headers)
    np.testing.assert_allclose(json.loads(answer)["predictions"], expected)


def test_tensor_model_takes_instances_and_inputs(servers: dict[str, Server], models: Path) -> None:
    X = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    expected = runreport.pyfunc.load_model(models / "tensor").predict(X)
    for key in ("instances", "inputs"):
        status, answer = servers["tensor"].post_json({key: X.tolist()})
        assert status == 200
        np.testing.assert_allclose(answer["predictions"], expected)
    status, answer = servers["tensor"].post_json({"inputs": [[1.0, 2.0]]})
    assert status == 400 and "shape" in answer["message"]


def test_json_values_reach_narrow_binary_and_datetime_columns(servers: dict[str, Server]) -> None:
    record = {
        "small": 7,
        "ratio": 0.25,
        "blob": base64.b64encode(b"bytes").decode(),
        "when": "2024-03-01T08:15:00",
    }
    status, answer = servers["types"].post_json({"dataframe_records": [record]})
    assert status == 200
    (row,) = answer["predictions"]
    assert row["dtypes"] == "int32,float32,object,datetime64[ns]"
    assert (row["small"], row["ratio"], row["blob"], row["when"]) == (
        7,
        0.25,
        "bytes",
        "2024-03-01 08:15",
    )


# ---------------------------------------------------------------- errors


def _post(server: Server, body: bytes | str, content_type: str) -> tuple[int, dict[str, Any]]:
    status, headers, raw = server.request(
        "POST", "/invocations", body, {"Content-Type": content_type}
    )
    assert headers["content-type"] == "application/json"
    return status, json.loads(raw)


JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "needle"),
    [
        ("{not json", JSON, 400, "BAD_REQUEST", "valid JSON"),
        ('[{"visits": 1}]', JSON, 400, "BAD_REQUEST", "Received a list"),
        ('{"params": {}}', JSON, 400, "BAD_REQUEST", "exactly one of"),
        ('{"inputs": {}, "instances": []}', JSON, 400, "BAD_REQUEST", "exactly one of"),
        (
            '{"dataframe_records": [{"visits": 1}]}',
            JSON,
            400,
            "INVALID_PARAMETER_VALUE",
            "['minutes', 'channel']",
        ),
        (
            '{"dataframe_records": [{"visits": 1.5, "minutes": 1.0, "channel": "ads"}]}',
            JSON,
            400,
            "INVALID_PARAMETER_VALUE",
            "'visits': cannot safely convert float64 to long",
        ),
        (
            '{"dataframe_records": [{"visits": 1, "minutes": "soon", "channel": "ads"}]}',
            JSON,
            400,
            "INVALID_PARAMETER_VALUE",
            "'minutes'",
        ),
        ("visits,minutes\n1,2\n", "text/csv", 400, "INVALID_PARAMETER_VALUE", "['channel']"),
        ("", "text/csv", 400, "BAD_REQUEST", "CSV"),
        ("hello", "text/plain", 415, "BAD_REQUEST", "not supported"),
        ("{}", "application/json; charset=utf-16", 415, "BAD_REQUEST", "UTF-8"),
        (b'{"inputs": "\xff"}', JSON, 400, "BAD_REQUEST", "UTF-8"),
    ],
)
def test_bad_requests_get_mlflow_error_bodies(
    server: Server, body: str, content_type: str, status: int, code: str, needle: str
) -> None:
    got, answer = _post(server, body, content_type)
    assert (got, answer["error_code"]) == (status, code)
    assert needle in answer["message"]


def test_unknown_paths_and_methods(server: Server) -> None:
    status, _, body = server.request("GET", "/predict")
    assert status == 404 and json.loads(body)["error_code"] == "ENDPOINT_NOT_FOUND"
    for method, path in [("GET", "/invocations"), ("POST", "/ping"), ("DELETE", "/health")]:
        status, headers, body = server.request(method, path)
        assert status == 405 and "allow" in {k.lower() for k in headers}
        assert json.loads(body)["error_code"] == "BAD_REQUEST"


GARBAGE = [
    b"\x00\x01\x02",
    b"null",
    b"123",
    b'{"inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"inputs": {"visits": [1e999], "minutes": [NaN], "channel": [null]}}',
    b'{"dataframe_split": {"data": 5}}',
    b'{"dataframe_split": {"columns": [[1]], "data": [[1]]}}',
    b'{"dataframe_records": [1, "a", null]}',
    b'{"instances": [{"visits": {"nested": 1}, "minutes": 1, "channel": "ads"}]}',
]


@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
def test_bad_input_is_never_a_500(server: Server, body: bytes) -> None:
    status, answer = _post(server, body, JSON)
    assert 400 <= status < 500, answer
    assert set(answer) == {"error_code", "message"}


# ---------------------------------------------------------------- limits


def test_body_over_the_limit_is_413(server: Server, rows: pd.DataFrame) -> None:
    big = json.dumps({"inputs": {"channel": ["x" * 100] * (LIMIT // 90)}})
    status, answer = _post(server, big, JSON)
    assert status == 413 and str(LIMIT) in answer["message"]
    assert server.post_json({"dataframe_records": _payloads(rows)["dataframe_records"]})[0] == 200


def _raw_exchange(server: Server, head: bytes, chunks: list[bytes]) -> bytes:
    """Send ``head`` and ``chunks`` but never finish the body; return what the server says."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        for chunk in chunks:
            sock.sendall(chunk)
        return sock.recv(65536)


def test_413_is_answered_before_the_body_ends(server: Server) -> None:
    declared = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    answer = _raw_exchange(server, declared + b"Content-Length: 99999999\r\n\r\n", [b"{"])
    assert answer.startswith(b"HTTP/1.1 413")
    piece = b"x" * 8192
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    chunked = declared + b"Transfer-Encoding: chunked\r\n\r\n"
    answer = _raw_exchange(server, chunked, [chunk] * (LIMIT // len(piece) + 1))
    assert answer.startswith(b"HTTP/1.1 413")  # streamed, refused before the last chunk


def test_a_client_hanging_up_mid_body_is_logged_not_an_error(server: Server) -> None:
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + b'Content-Length: 1000\r\n\r\n{"inputs"')
    line = server.wait_for_line(lambda x: x.get("status") == 499)
    assert line["error_code"] == "CANCELLED" and line["request_bytes"] == len('{"inputs"')
    assert server.request("GET", "/ping")[0] == 200
    assert not [x for x in server.json_lines() if x["level"] == "ERROR"]


# ---------------------------------------------------------------- load and logs


def test_concurrent_clients_get_their_own_predictions(server: Server, models: Path) -> None:
    model = runreport.pyfunc.load_model(models / "purchase")
    frames = [purchase_frame(1 + i % 4, seed=i) for i in range(48)]
    failures: list[str] = []

    def client(batch: list[pd.DataFrame]) -> None:
        for frame in batch:
            status, answer = server.post_json(
                {"dataframe_split": _payloads(frame)["dataframe_split"]}
            )
            if status != 200 or not np.allclose(answer["predictions"], model.predict(frame)):
                failures.append(f"{status}: {answer}")

    threads = [threading.Thread(target=client, args=(frames[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_access_logs_are_json_lines(server: Server) -> None:
    server.request("GET", "/ping")
    server.request("GET", "/nowhere")
    missing = server.wait_for_line(lambda line: line.get("path") == "/nowhere")
    assert (missing["method"], missing["status"], missing["error_code"]) == (
        "GET",
        404,
        "ENDPOINT_NOT_FOUND",
    )
    ping = server.wait_for_line(lambda line: line.get("path") == "/ping")
    assert ping["message"] == "request" and ping["status"] == 200 and "error_code" not in ping
    for field in ("time", "level", "duration_ms", "request_bytes", "response_bytes", "client"):
        assert field in ping
    assert len(server.json_lines()) == len(server.lines())  # every line is JSON
