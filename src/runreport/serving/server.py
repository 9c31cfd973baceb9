"""``runreport serve``: run the scoring app under uvicorn, with one or several worker processes.

The model URI is resolved once, before the port opens (a ``models:/Name/Production`` URI
becomes one model folder, so every worker serves the same version), and the model is loaded
before the first request is accepted, so ``/ping`` answering means the model is ready. On
SIGTERM or SIGINT uvicorn stops accepting connections and finishes the requests in flight.
"""

from __future__ import annotations

import importlib
import logging
import logging.config
import math
import os
import signal
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.serving.errors import MissingExtraError
from runreport.serving.logs import log_config
from runreport.serving.scoring import DEFAULT_MAX_BODY_SIZE, DEFAULT_TIMEOUT

ENV_MODEL_DIR = "RUNREPORT_SERVE_MODEL_DIR"
ENV_TIMEOUT = "RUNREPORT_SERVE_TIMEOUT"
ENV_MAX_BODY_SIZE = "RUNREPORT_SERVE_MAX_BODY_SIZE"
LOG_LEVELS = ("debug", "info", "warning", "error")

_logger = logging.getLogger(__name__)


def serve(
    model_uri: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    log_level: str = "info",
) -> None:
    """Serve the model at ``model_uri`` over HTTP until SIGTERM or SIGINT.

    Args:
        model_uri: a local path, ``runs:/<run_id>/<path>`` or ``models:/<name>/<stage>`` URI.
        host: the address to listen on.
        port: the TCP port to listen on.
        workers: worker processes, each with its own copy of the model.
        timeout: seconds one request may take (504 past it).
        max_body_size: largest request body in bytes (413 past it).
        log_level: debug, info, warning or error; logs are JSON lines on stderr.

    Raises:
        InvalidParameterError: a bad option value, or the model cannot be loaded.
        ResourceNotFoundError: no model at ``model_uri``.
        MissingExtraError: the ``serve`` extra (uvicorn, starlette) is not installed.
    """
    uvicorn = require("uvicorn", "serve", "runreport serve")
    require("starlette", "serve", "runreport serve")
    _check_options(workers, timeout, max_body_size, log_level)
    from runreport.models.pyfunc import load_model
    from runreport.models.uri import resolve_model_dir
    from runreport.serving.app import create_app

    model_dir = resolve_model_dir(model_uri)
    model = load_model(model_dir)  # fail here, with a clear error, not in a worker
    logging.config.dictConfig(log_config(log_level))
    logging.captureWarnings(True)
    _logger.info(
        "serving model %s",
        model_uri,
        extra={"fields": {"model_dir": str(model_dir), "workers": workers, "port": port}},
    )
    options = _uvicorn_options(host, port, timeout, log_level)
    if workers == 1:
        app = create_app(model, timeout=timeout, max_body_size=max_body_size)
        _run_until_stopped(uvicorn.Server(uvicorn.Config(app, **options)))
        return
    del model
    os.environ.update(
        {
            ENV_MODEL_DIR: str(model_dir),
            ENV_TIMEOUT: repr(float(timeout)),
            ENV_MAX_BODY_SIZE: str(int(max_body_size)),
        }
    )
    uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=workers, **options)


def _run_until_stopped(server: Any) -> None:
    """``server.run()``, returning normally after a graceful shutdown on SIGTERM or SIGINT.

    uvicorn re-raises the signal once it has shut down; the handler installed here turns that
    into a plain return (exit status 0), and a signal that arrives before uvicorn listens for
    signals still stops the server as soon as it starts.
    """

    def stop(signum: int, frame: Any) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def app_from_env() -> Any:
    """The app factory each worker process calls (``serve(..., workers=N)`` with N > 1)."""
    from runreport.models.pyfunc import load_model
    from runreport.serving.app import create_app

    model = load_model(os.environ[ENV_MODEL_DIR])
    return create_app(
        model,
        timeout=float(os.environ[ENV_TIMEOUT]),
        max_body_size=int(os.environ[ENV_MAX_BODY_SIZE]),
    )


def _uvicorn_options(host: str, port: int, timeout: float, log_level: str) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "log_config": log_config(log_level),
        "access_log": False,  # AccessLogMiddleware writes structured access lines
        "server_header": False,
        "lifespan": "off",
        # In-flight requests end within the request timeout, so shutdown waits that long.
        "timeout_graceful_shutdown": math.ceil(timeout) + 5,
    }


def _check_options(workers: int, timeout: float, max_body_size: int, log_level: str) -> None:
    if workers < 1:
        raise InvalidParameterError(f"workers must be at least 1, got {workers}")
    if not timeout > 0:
        raise InvalidParameterError(f"timeout must be a positive number of seconds, got {timeout}")
    if max_body_size < 1:
        raise InvalidParameterError(f"max_body_size must be at least 1 byte, got {max_body_size}")
    if log_level not in LOG_LEVELS:
        raise InvalidParameterError(
            f"log level {log_level!r} is not valid; expected one of {', '.join(LOG_LEVELS)}"
        )


def require(module: str, extra: str, what: str) -> Any:
    """``import module``, or a :class:`MissingExtraError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(module, extra, what) from None
