"""Structured logs for the scoring server: one JSON object per line on stderr.

Every request gives one access line (``"message": "request"``) with its method, path, status,
duration, byte counts, client address and, for errors, MLflow's ``error_code``. Server events
(start, shutdown, model errors with their traceback) and Python warnings use the same format,
so a log collector reads the whole stream as JSON lines.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

ACCESS_LOGGER = "runreport.serving.access"
FIELDS = "fields"  # ``logger.info(msg, extra={"fields": {...}})`` adds keys to the JSON line

_access = logging.getLogger(ACCESS_LOGGER)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
        line: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict routing uvicorn's and runreport's logs as JSON."""
    level = level.upper()
    handler = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": handler,
            "uvicorn.access": {"handlers": [], "propagate": False},
            "runreport": handler,
            "py.warnings": handler,
        },
    }


class AccessLogMiddleware:
    """ASGI middleware that logs one structured line per HTTP request once it is answered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        seen = {"status": 500, "in": 0, "out": 0}

        async def counting_receive() -> dict[str, Any]:
            message = await receive()
            seen["in"] += len(message.get("body", b""))
            return message

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            _log_request(scope, seen, time.perf_counter() - start)


def _log_request(scope: dict[str, Any], seen: dict[str, int], seconds: float) -> None:
    if not _access.isEnabledFor(logging.INFO):
        return
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": scope["path"],
        "status": seen["status"],
        "duration_ms": round(seconds * 1000, 3),
        "request_bytes": seen["in"],
        "response_bytes": seen["out"],
        "client": f"{client[0]}:{client[1]}" if client else None,
    }
    error_code = scope.get("state", {}).get("error_code")
    if error_code:
        fields["error_code"] = error_code
    _access.info("request", extra={FIELDS: fields})
