"""Errors of the scoring protocol, each with its HTTP status and MLflow's ``error_code`` name.

A :class:`ScoringError` is what the server answers as
``{"error_code": ..., "message": ...}``. Signature errors raised by ``runreport.pyfunc``
(:class:`~runreport.exceptions.InvalidParameterError`) map to 400 ``INVALID_PARAMETER_VALUE``
through :func:`status_of`; nothing a client sends is answered with a 500.
"""

from __future__ import annotations

import json

from runreport.exceptions import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    InvalidParameterError,
    RunReportError,
)

ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
SERVICE_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
CANCELLED = "CANCELLED"


class ScoringError(RunReportError):
    """A request the scoring protocol refuses; ``status`` is the HTTP status to answer."""

    status = 400
    error_code = BAD_REQUEST

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None):
        super().__init__(message, error_code)
        if status is not None:
            self.status = status


class BadRequestError(ScoringError):
    """Malformed input: bad JSON or CSV, not exactly one input key, a top-level list..."""


class UnsupportedMediaTypeError(ScoringError):
    """A content type other than JSON, CSV (or Parquet), or a charset other than UTF-8."""

    status = 415


class PayloadTooLargeError(ScoringError):
    """The request body is larger than the server's ``--max-body-size``."""

    status = 413


class ClientClosedError(ScoringError):
    """The client hung up before sending the whole body (logged as 499, nginx's convention)."""

    status = 499
    error_code = CANCELLED


class MissingExtraError(RunReportError):
    """An optional dependency (``serve``, ``spark`` or ``parquet`` extra) is not installed."""

    def __init__(self, module: str, extra: str, what: str) -> None:
        super().__init__(
            f"{what} needs the {module!r} package, which is not installed; install it with: "
            f"pip install 'runreport[{extra}]'"
        )


def status_of(exc: RunReportError) -> int:
    """The HTTP status for a library error: 400 for bad input, 500 for anything else."""
    if isinstance(exc, ScoringError):
        return exc.status
    if isinstance(exc, InvalidParameterError) or exc.error_code in (
        BAD_REQUEST,
        INVALID_PARAMETER_VALUE,
    ):
        return 400
    return 500


def error_json(error_code: str, message: str) -> bytes:
    """MLflow's error body: ``{"error_code": ..., "message": ...}`` as UTF-8 JSON."""
    return json.dumps({"error_code": error_code, "message": message}).encode()


def error_code_of(exc: RunReportError) -> str:
    code = exc.error_code
    if isinstance(exc, InvalidParameterError) and not isinstance(exc, ScoringError):
        return INVALID_PARAMETER_VALUE
    return code if status_of(exc) < 500 else INTERNAL_ERROR
