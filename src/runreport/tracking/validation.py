"""Validation of what users log, at the boundary, with MLflow's rules and limits.

Keys of params, metrics and tags may hold letters and digits (any script), ``_ - . : /`` and
spaces, and must not be paths that escape (``..``, a leading ``/``). The length limits are
MLflow's: 250 characters for keys, 6,000 for param values, 8,000 for tag values.
"""

from __future__ import annotations

import math
import numbers
import re

from runreport.exceptions import InvalidParameterError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_TAGS_PER_BATCH = 100

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
    return text


def tag_value(key: str, value: object) -> str:
    text = str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameterError(
            f"tag {key!r} has a value of {len(text)} characters; at most "
            f"{MAX_TAG_VALUE_LENGTH} allowed"
        )
    return text


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
            return int(step)
        raise InvalidParameterError(f"metric {key!r} got step {step!r}; expected an integer")
    return int(step)


def timestamp_ms(key: str, timestamp: object) -> int:
    if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Real):
        raise InvalidParameterError(
            f"metric {key!r} got timestamp {timestamp!r}; expected milliseconds since the epoch"
        )
    if isinstance(timestamp, float) and not math.isfinite(timestamp):
        raise InvalidParameterError(
            f"metric {key!r} got timestamp {timestamp!r}; expected a number"
        )
    return int(timestamp)


def experiment_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(
            f"experiment name {name!r} is not valid; expected a non-empty string"
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameterError(
            f"experiment name is {len(name)} characters; "
            f"at most {MAX_EXPERIMENT_NAME_LENGTH} allowed"
        )
    if any(ch in name for ch in "\x00\r\n"):
        raise InvalidParameterError(f"experiment name {name!r} must not contain NUL or line breaks")
    return name


def run_name(name: object) -> str:
    text = str(name)
    if len(text) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameterError(
            f"run name is {len(text)} characters; at most {MAX_RUN_NAME_LENGTH} allowed"
        )
    return text
