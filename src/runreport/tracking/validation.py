"""Validation of what users log, at the boundary, with MLflow's rules and limits.

Keys of params, metrics and tags may hold letters and digits (any script), ``_ - . : /`` and
spaces, and must not be paths that escape (``..``, a leading ``/``). The length limits are
MLflow's: 250 characters for keys, 6,000 for param values, 8,000 for tag values; steps and
timestamps are 64-bit integers, as in MLflow. Every limit is listed in ``docs/limits.md``.
Readers enforce none of them: a run folder written by other means is read as it is.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Collection, Iterable

from runreport.exceptions import InvalidParameterError
from runreport.store import format as fmt

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_TAGS_PER_BATCH = 100
MAX_PARAMS_PER_RUN = 1000
MAX_TAGS_PER_RUN = 1000
MIN_INT64 = -(2**63)
MAX_INT64 = 2**63 - 1

_KEY_PATTERN = re.compile(r"^[/\w.\- :]*$")
_valid_keys: set[str] = set()  # keys already checked: log_metric stays cheap on repeat keys


def validate_key(key: object, kind: str) -> str:
    """Return ``key`` if it is a valid param, metric or tag key, else raise a clear error."""
    if key in _valid_keys:
        return key  # type: ignore[return-value]
    if not isinstance(key, str):
        raise InvalidParameterError(
            f"{kind} key {key!r} must be a string, not {type(key).__name__}"
        )
    if not key:
        raise InvalidParameterError(f"{kind} key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameterError(
            f"{kind} key {key[:40]!r}... is {len(key)} characters; at most {MAX_KEY_LENGTH} allowed"
        )
    if not _KEY_PATTERN.match(key):
        raise InvalidParameterError(
            f"{kind} key {key!r} is not valid; keys may only contain letters, digits, "
            "underscores (_), dashes (-), periods (.), spaces, colons (:) and slashes (/)"
        )
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidParameterError(
            f"{kind} key {key!r} is not valid; it must be a relative path without '.', '..' "
            "or repeated or trailing slashes"
        )
    _valid_keys.add(key)
    return key


def param_value(key: str, value: object) -> str:
    text = str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        raise InvalidParameterError(
            f"param {key!r} has a value of {len(text)} characters; at most "
            f"{MAX_PARAM_VALUE_LENGTH} allowed"
        )
    return _utf8(text, f"the value of param {key!r}")


def tag_value(key: str, value: object) -> str:
    text = str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameterError(
            f"tag {key!r} has a value of {len(text)} characters; at most "
            f"{MAX_TAG_VALUE_LENGTH} allowed"
        )
    return _utf8(text, f"the value of tag {key!r}")


def _utf8(text: str, what: str) -> str:
    """``text`` if it can be written as UTF-8 (it holds no lone surrogate), else a clear error."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidParameterError(
                f"{what} holds {text[exc.start]!r} at position {exc.start}, a lone surrogate "
                "that cannot be written as UTF-8"
            ) from None
    return text


def _int64(value: int, what: str) -> int:
    if not MIN_INT64 <= value <= MAX_INT64:
        raise InvalidParameterError(
            f"{what} {value} is out of range; expected a 64-bit integer "
            f"({MIN_INT64} to {MAX_INT64})"
        )
    return value


def metric_value(key: str, value: object) -> float:
    """The metric value as a float; numbers (ints, numpy scalars, NaN, inf) only."""
    if type(value) is float:
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"metric {key!r} got the string {value!r}; expected a number")
    try:
        result = float(value)  # type: ignore[arg-type]  # numpy 0-d arrays, Decimal...
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"metric {key!r} got value {value!r} of type {type(value).__name__}; expected a number"
        ) from None
    return result


def metric_step(key: str, step: object) -> int:
    if step is None:
        return 0
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        if isinstance(step, float) and step.is_integer():
            return _int64(int(step), f"metric {key!r} got step")
        raise InvalidParameterError(f"metric {key!r} got step {step!r}; expected an integer")
    return _int64(int(step), f"metric {key!r} got step")


def timestamp_ms(key: str, timestamp: object) -> int:
    """A metric's timestamp: milliseconds since the epoch, a 64-bit integer as in MLflow."""
    what = f"metric {key!r} got timestamp"
    return _int64(_milliseconds(timestamp, what), what)


def run_time(name: str, value: object) -> int:
    """A run's ``start_time`` or ``end_time``: milliseconds from 1970 to the end of year 9999,
    the range readers accept (``format.MAX_TIME_MS``)."""
    milliseconds = _milliseconds(value, name)
    if not 0 <= milliseconds <= fmt.MAX_TIME_MS:
        raise InvalidParameterError(
            f"{name} {milliseconds} is out of range; expected milliseconds since 1970 "
            f"(0 to {fmt.MAX_TIME_MS}, the end of year 9999)"
        )
    return milliseconds


def _milliseconds(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{what} {value!r}; expected milliseconds since the epoch")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameterError(f"{what} {value!r}; expected a number")
    return int(value)  # type: ignore[call-overload]  # the stubs give Real no __int__


def experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            f"experiment name {name!r} is not valid; expected a non-empty string"
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameterError(
            f"experiment name {name[:40]!r}... is {len(name)} characters; "
            f"at most {MAX_EXPERIMENT_NAME_LENGTH} allowed"
        )
    if any(ch in name for ch in "\x00\r\n"):
        raise InvalidParameterError(f"experiment name {name!r} must not contain NUL or line breaks")
    return _utf8(name, f"experiment name {name!r}")


def run_name(name: object) -> str:
    text = str(name)
    if len(text) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameterError(
            f"run name {text[:40]!r}... is {len(text)} characters; "
            f"at most {MAX_RUN_NAME_LENGTH} allowed"
        )
    return _utf8(text, f"run name {text!r}")


def check_run_room(run_id: str, kind: str, existing: Collection[str], new: Iterable[str]) -> None:
    """Raise if adding the ``new`` keys to a run's ``existing`` params or tags passes the limit.

    ``kind`` is "param" or "tag"; keys already present do not count again.
    """
    limit = MAX_PARAMS_PER_RUN if kind == "param" else MAX_TAGS_PER_RUN
    added = [key for key in dict.fromkeys(new) if key not in existing]
    if added and len(existing) + len(added) > limit:
        more = f" and {len(added) - 1} more" if len(added) > 1 else ""
        raise InvalidParameterError(
            f"run {run_id!r} has {len(existing)} {kind}s; adding {kind} {added[0]!r}{more} "
            f"would pass the limit of {limit:,} {kind}s per run"
        )
