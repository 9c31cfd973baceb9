"""The scoring server's ASGI application (Starlette): MLflow's four endpoints.

- ``GET /ping`` and ``GET /health``: 200 once the model is loaded;
- ``GET /version``: runreport's version;
- ``POST /invocations``: scores a JSON, CSV or Parquet body (:mod:`runreport.serving.protocol`).

The body is read in chunks and refused with 413 as soon as it passes ``max_body_size`` (or at
once when ``Content-Length`` says so); parsing and prediction run in a worker thread under a
deadline of ``timeout`` seconds (504 past it). Every error is MLflow's JSON error body.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from runreport.exceptions import BAD_REQUEST, RunReportError
from runreport.serving.errors import (
    DEADLINE_EXCEEDED,
    ENDPOINT_NOT_FOUND,
    SERVICE_UNAVAILABLE,
    ClientClosedError,
    PayloadTooLargeError,
    error_json,
)
from runreport.serving.logs import AccessLogMiddleware
from runreport.serving.protocol import media_type
from runreport.serving.scoring import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_TIMEOUT,
    Answer,
    Scorer,
    error_answer,
)

JSON = "application/json"

_logger = logging.getLogger(__name__)


def create_app(
    model: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
) -> Any:
    """The ASGI app serving ``model`` (a loaded :class:`~runreport.pyfunc.PyFuncModel`).

    Args:
        model: the model to score with; ``None`` makes ``/ping`` answer 503.
        timeout: seconds a request may take from its first byte to its answer (504 past it).
        max_body_size: largest accepted request body in bytes (413 past it).
    """
    endpoints = _Endpoints(model, timeout, max_body_size)
    routes = [
        Route("/ping", endpoints.ping, methods=["GET"]),
        Route("/health", endpoints.ping, methods=["GET"]),
        Route("/version", endpoints.version, methods=["GET"]),
        Route("/invocations", endpoints.invocations, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return AccessLogMiddleware(app)


class _Endpoints:
    def __init__(self, model: Any, timeout: float, max_body_size: int) -> None:
        self.scorer = Scorer(model) if model is not None else None
        self.timeout = timeout
        self.max_body_size = max_body_size

    async def ping(self, request: Request) -> Response:
        if self.scorer is None:
            return _error(request, 503, SERVICE_UNAVAILABLE, "the model is not loaded")
        return Response("\n", 200, media_type=JSON)

    async def version(self, request: Request) -> Response:
        from runreport import __version__

        return Response(__version__, 200, media_type="text/plain")

    async def invocations(self, request: Request) -> Response:
        if self.scorer is None:
            return _error(request, 503, SERVICE_UNAVAILABLE, "the model is not loaded")
        try:
            answer = await asyncio.wait_for(self._score(request), self.timeout)
        except asyncio.TimeoutError:
            _logger.warning("a request took longer than the %s s timeout", self.timeout)
            message = (
                f"Request processing time exceeded the server's limit of {self.timeout:g} s "
                "(runreport serve --timeout)"
            )
            return _error(request, 504, DEADLINE_EXCEEDED, message)
        if answer.error_code:
            request.state.error_code = answer.error_code
        headers = {"connection": "close"} if answer.status == 413 else None
        return Response(answer.body, answer.status, headers=headers, media_type=JSON)

    async def _score(self, request: Request) -> Answer:
        content_type = request.headers.get("content-type")
        try:
            media_type(content_type)  # 415 before reading a body we cannot use
            body = await _read_body(request, self.max_body_size)
        except RunReportError as exc:
            return error_answer(exc)
        assert self.scorer is not None
        return await asyncio.to_thread(self.scorer, body, content_type)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to pass ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"Content-Length is {int(declared)} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, f"more than {limit} bytes were sent")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClientClosedError(f"the client disconnected after sending {size} bytes") from None
    return b"".join(chunks)


def _too_large(limit: int, what: str) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is too large: {what}, and the limit is {limit} bytes "
        "(runreport serve --max-body-size)"
    )


def _error(request: Request, status: int, error_code: str, message: str) -> Response:
    request.state.error_code = error_code
    return Response(error_json(error_code, message), status, media_type=JSON)


async def _http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 from routing, as MLflow's JSON error body."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        code, message = ENDPOINT_NOT_FOUND, f"no endpoint at {request.url.path}"
    else:
        code, message = BAD_REQUEST, f"{request.method} {request.url.path}: {exc.detail}"
    request.state.error_code = code
    return Response(error_json(code, message), exc.status_code, exc.headers, media_type=JSON)
