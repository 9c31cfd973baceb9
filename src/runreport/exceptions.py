"""The one exception hierarchy of runreport.

Every error a user can cause is a :class:`RunReportError`. Messages name the bad value and say
what is allowed. The CLI turns these into a one-line message and exit code 1, in one place
(``runreport.cli``). No module here imports click.
"""

from __future__ import annotations

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_ERROR = "INTERNAL_ERROR"


class RunReportError(Exception):
    """Base class of every error runreport raises on purpose.

    ``error_code`` carries MLflow's code names so code that inspects
    ``MlflowException.error_code`` keeps working.
    """

    error_code = INTERNAL_ERROR

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    def __str__(self) -> str:
        return self.message


# MLflow code catches ``MlflowException``; keep that name working.
MlflowException = RunReportError


class InvalidParameterError(RunReportError, ValueError):
    """A value given to the API is not allowed (bad key, bad stage, changed param...)."""

    error_code = INVALID_PARAMETER_VALUE


class ResourceNotFoundError(RunReportError, LookupError):
    """An experiment, run, model, version or file that was asked for does not exist."""

    error_code = RESOURCE_DOES_NOT_EXIST


class ResourceExistsError(RunReportError):
    """Creating something whose name is already taken."""

    error_code = RESOURCE_ALREADY_EXISTS


class InvalidStateError(RunReportError):
    """The operation does not fit the current state (e.g. logging to a deleted run)."""

    error_code = INVALID_STATE


class FilterSyntaxError(InvalidParameterError):
    """A search filter or order_by clause that cannot be parsed or is not allowed.

    ``position`` is the 0-based offset of the offending token in ``text``; ``str()`` shows the
    text with a caret under that token.
    """

    def __init__(self, reason: str, text: str, position: int | None = None) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None:
            return f"Invalid filter {self.text!r}: {self.reason}"
        pointer = " " * self.position + "^"
        return (
            f"Invalid filter {self.text!r} at position {self.position}: {self.reason}\n"
            f"  {self.text}\n  {pointer}"
        )


class RunFormatError(RunReportError):
    """A run or experiment folder on disk is corrupt, half-written or from an unknown format.

    ``path`` names the file or folder; readers skip such runs with a warning.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}", INVALID_STATE)


class ConfigError(InvalidParameterError):
    """A configuration file (runreport.yaml, [tool.runreport]) holds an invalid value."""
