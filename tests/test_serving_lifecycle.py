"""The server's life: startup errors, request timeout, graceful SIGTERM, several workers."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from runreport.cli import main
from runreport.cli_serving import ByteSize
from runreport.serving.errors import MissingExtraError
from runreport.serving.server import require
from tests.test_serving_support import Server, need, save_slow_model, start_servers

need("uvicorn", "starlette")  # the serve extra

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "slow"
    save_slow_model(path)
    return path


def _slow_request(delay: float, x: float = 1.0) -> dict[str, Any]:
    return {"inputs": {"x": [x]}, "params": {"delay": delay}}


# ---------------------------------------------------------------- startup


def test_a_missing_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "-m", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: model ") and "Traceback" not in result.output


def test_bad_options_are_usage_errors(slow_model: Path) -> None:
    for option in (["--workers", "0"], ["--timeout", "0"], ["--max-body-size", "lots"]):
        result = CliRunner().invoke(main, ["serve", "-m", str(slow_model), *option])
        assert result.exit_code == 2, result.output


def test_byte_sizes() -> None:
    size = ByteSize()
    assert [size.convert(v, None, None) for v in ("100", "16MiB", "500KB", "1g", "2 kib")] == [
        100,
        16 * 1024**2,
        500_000,
        10**9,
        2048,
    ]
    with pytest.raises(click.BadParameter, match="not a size"):
        size.convert("0", None, None)


def test_a_missing_extra_names_the_install_command() -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'runreport\[serve\]'"):
        require("runreport_no_such_module", "serve", "runreport serve")


# ---------------------------------------------------------------- timeout and shutdown


@pytest.fixture(scope="module")
def servers(slow_model: Path) -> Iterator[dict[str, Server]]:
    log_dir = slow_model.parent
    started = {
        "timeout": Server(str(slow_model), log_dir, "--timeout", "1"),
        "one": Server(str(slow_model), log_dir),
        "two": Server(str(slow_model), log_dir, "--workers", "2"),
    }
    try:
        start_servers(*started.values())
        yield started
    finally:
        for server in started.values():
            server.stop()


def test_a_request_past_the_timeout_is_504_and_the_server_goes_on(
    servers: dict[str, Server],
) -> None:
    server = servers["timeout"]
    status, answer = server.post_json(_slow_request(delay=2.5))
    assert status == 504 and answer["error_code"] == "DEADLINE_EXCEEDED"
    assert "limit of 1 s" in answer["message"]
    assert server.post_json(_slow_request(delay=0, x=2.0)) == (200, {"predictions": [4.0]})


@pytest.mark.parametrize("name", ["one", "two"])
def test_sigterm_finishes_requests_in_flight(servers: dict[str, Server], name: str) -> None:
    server = servers[name]
    answers: list[tuple[int, Any]] = []
    client = threading.Thread(target=lambda: answers.append(server.post_json(_slow_request(2.0))))
    client.start()
    time.sleep(0.8)  # the request reaches the model, which sleeps 2 s
    server.process.send_signal(signal.SIGTERM)
    client.join(30)
    assert answers == [(200, {"predictions": [2.0]})]
    assert server.process.wait(30) == 0
    messages = [line["message"] for line in server.json_lines()]
    assert "Shutting down" in messages and messages.count("request") >= 1
    if name == "two":
        pids = {m for m in messages if re.match(r"Started server process \[\d+\]", m)}
        assert len(pids) >= 2  # two worker processes (plus the supervisor's own line)


def test_every_log_line_is_json(servers: dict[str, Server]) -> None:
    for server in servers.values():
        for line in server.lines():
            assert isinstance(json.loads(line), dict), line
