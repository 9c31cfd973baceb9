"""Shared helpers for the serving, predict and Spark tests (no tests here).

Real models saved with runreport in a temporary folder, and a real ``runreport serve``
subprocess on 127.0.0.1 with a free port, spoken to with ``http.client``.
"""

from __future__ import annotations

import http.client
import importlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import runreport.pyfunc
import runreport.sklearn
from runreport.models import (
    ColSpec,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    infer_signature,
)
from tests.conftest import python_env

HAVE_REGISTRY = importlib.util.find_spec("runreport.registry") is not None


def purchase_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """The tutorial's kind of table: a count, a real number and a category."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "visits": rng.integers(0, 50, rows),
            "minutes": rng.normal(10.0, 3.0, rows),
            "channel": rng.choice(["ads", "mail", "search"], rows),
        }
    )


def save_purchase_model(path: Path) -> pd.DataFrame:
    """A scikit-learn pipeline (one-hot + linear regression) with a column signature.

    Returns the training frame.
    """
    frame = purchase_frame(200)
    target = 3 * frame["visits"] + 2 * frame["minutes"] + (frame["channel"] == "ads") * 5
    encode = ColumnTransformer([("channel", OneHotEncoder(), ["channel"])], remainder="passthrough")
    model = make_pipeline(encode, LinearRegression()).fit(frame, target)
    signature = infer_signature(frame, model.predict(frame))
    runreport.sklearn.save_model(model, path, signature=signature)
    return frame


def save_tensor_model(path: Path) -> np.ndarray:
    """A linear regression on a float64 matrix of 3 columns (a tensor signature)."""
    X = np.random.default_rng(1).normal(size=(50, 3))
    model = LinearRegression().fit(X, X @ [1.0, -2.0, 0.5])
    runreport.sklearn.save_model(model, path, signature=infer_signature(X))
    return X


def save_slow_model(path: Path) -> None:
    """A PythonModel that sleeps ``params["delay"]`` seconds and returns ``2 * x``."""

    class Slow(runreport.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            import time as clock

            clock.sleep(float((params or {}).get("delay", 0.0)))
            if (model_input["x"] < 0).any():
                raise ValueError("x must not be negative")
            return model_input["x"].to_numpy() * 2

    signature = ModelSignature(
        inputs=Schema([ColSpec("double", "x")]),
        params=ParamSchema([ParamSpec("delay", "double", 0.0)]),
    )
    runreport.pyfunc.save_model(path, python_model=Slow(), signature=signature)


def save_types_model(path: Path) -> None:
    """A PythonModel echoing what it received for int32, float32, binary and datetime columns."""

    class Echo(runreport.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            frame = model_input
            return pd.DataFrame(
                {
                    "dtypes": [",".join(str(t) for t in frame.dtypes)] * len(frame),
                    "small": frame["small"].astype("int64"),
                    "ratio": frame["ratio"].astype("float64"),
                    "blob": [b.decode("utf-8") for b in frame["blob"]],
                    "when": frame["when"].dt.strftime("%Y-%m-%d %H:%M"),
                }
            )

    signature = ModelSignature(
        inputs=Schema(
            [
                ColSpec("integer", "small"),
                ColSpec("float", "ratio"),
                ColSpec("binary", "blob"),
                ColSpec("datetime", "when"),
            ]
        )
    )
    runreport.pyfunc.save_model(path, python_model=Echo(), signature=signature)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m runreport serve`` as a real subprocess; stderr goes to a file."""

    def __init__(self, model_uri: str, log_dir: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"serve-{self.port}.log"
        command = [sys.executable, "-m", "runreport", "serve", "-m", model_uri]
        command += ["--port", str(self.port), *args]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=python_env(**env)
            )

    def wait_ready(self, timeout: float = 60.0) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if self.request("GET", "/ping")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"the server did not answer /ping within {timeout} s:\n{self.logs()}")

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_json(self, document: Any) -> tuple[int, Any]:
        status, _, body = self.request(
            "POST", "/invocations", json.dumps(document), {"Content-Type": "application/json"}
        )
        return status, json.loads(body)

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[str]:
        """The complete lines logged so far (a line being written is left out)."""
        text = self.logs()
        return text[: text.rfind("\n") + 1].splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines() if line.startswith("{")]

    def wait_for_line(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first JSON log line that satisfies ``predicate``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.json_lines() if predicate(line)]
            if found:
                return found[0]
            time.sleep(0.05)
        pytest.fail(f"no such log line within {timeout} s:\n{self.logs()}")

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def start_servers(*servers: Server) -> None:
    """Wait for servers started together (their imports overlap)."""
    for server in servers:
        server.wait_ready()


def ci() -> bool:
    return os.environ.get("CI") == "true"


def need(*modules: str) -> None:
    """Skip unless ``modules`` import (an optional extra); in CI a missing one is a failure."""
    for module in modules:
        if ci():
            importlib.import_module(module)
        else:
            pytest.importorskip(module, reason=f"{module} (an optional extra) is not installed")
