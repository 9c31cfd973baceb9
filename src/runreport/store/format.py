"""The run-folder format: every file and folder name, the format version, and the encoders.

This module is the single owner of the on-disk format described in ``docs/format.md``. The
writer (:mod:`runreport.store.writer`) and every reader import names and codecs from here; no
other module spells a file name or a field name of the format.

Layout::

    <root>/                         default ./runs
      <experiment_id>/
        experiment.json             ExperimentRecord
        <run_id>/
          run.json                  RunRecord: meta, params, tags
          metrics.tsv               append-only history: key, timestamp, step, value
          summary.json              latest/min/max/count per metric + bytes of metrics.tsv covered
          artifacts/
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from runreport.exceptions import RunFormatError

FORMAT_VERSION = 1

DEFAULT_ROOT = "runs"
TRACKING_URI_ENV = "RUNREPORT_TRACKING_URI"

EXPERIMENT_FILE = "experiment.json"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.tsv"
SUMMARY_FILE = "summary.json"
ARTIFACTS_DIR = "artifacts"
TEMP_PREFIX = ".tmp-"

# Readers refuse record files (run.json, summary.json, experiment.json) larger than this, and
# histories (metrics.tsv) larger than MAX_HISTORY_BYTES, before reading them: the writer never
# makes such files, and reading them would only exhaust memory.
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_HISTORY_BYTES = 1024 * 1024 * 1024
MAX_MLMODEL_BYTES = 1024 * 1024  # a model's MLmodel file (YAML), in a run's artifacts or not

# Times are milliseconds since the epoch up to the end of year 9999 (what a date can show);
# steps and metric timestamps are 64-bit integers, as in MLflow.
MAX_TIME_MS = 253_402_300_799_999
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

LIFECYCLE_STAGES = ("active", "deleted")
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")

# Tags that MLflow keeps for run meta; runreport stores the meta field and shows the tag.
TAG_RUN_NAME = "mlflow.runName"
TAG_USER = "mlflow.user"
TAG_PARENT_RUN_ID = "mlflow.parentRunId"
TAG_DESCRIPTION = "mlflow.note.content"
META_TAGS = {
    TAG_RUN_NAME: "run_name",
    TAG_USER: "user_id",
    TAG_PARENT_RUN_ID: "parent_run_id",
    TAG_DESCRIPTION: "description",
}


# ---------------------------------------------------------------- numbers and JSON


def encode_float(value: float) -> float | str:
    """JSON has no NaN or infinity: those are written as the strings "nan", "inf", "-inf"."""
    if math.isfinite(value):
        return value
    return repr(value)


def decode_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {short_repr(value)}")
    try:
        return float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"expected a number, got {short_repr(value)}") from None


def dumps(data: dict[str, Any]) -> str:
    """Serialize a record: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; a key given twice is an error (which one would win?)."""
    data = dict(pairs)
    if len(data) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        duplicate = next(key for key, count in counts.items() if count > 1)
        raise _DuplicateKeyError(f"duplicate key {short_repr(duplicate)}")
    return data


# ``\ud800``-style escapes can decode to lone surrogates, which are not text: no page, file or
# terminal can encode them. Only records holding such an escape are checked string by string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_text(data: Any, path: object) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise RunFormatError(
                    path, f"text {short_repr(item)} holds a lone surrogate (\\ud800-\\udfff)"
                ) from None


def loads(text: str | bytes, path: object, unique_keys: bool = True) -> dict[str, Any]:
    """Parse a record file and check its format version; errors name the file.

    Nesting deeper than the interpreter can parse is an error, not a crash; so is a key given
    twice, unless ``unique_keys`` is false (``summary.json``: written only by runreport, rebuilt
    from the history, and the one record whose many small objects make the check costly).
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # strictly: json.loads(bytes) would let surrogates pass
        data = json.loads(text, object_pairs_hook=_unique_keys if unique_keys else None)
    except UnicodeDecodeError as exc:
        raise RunFormatError(path, f"not UTF-8 text ({exc})") from None
    except _DuplicateKeyError as exc:
        raise RunFormatError(path, f"not valid: {exc}") from None
    except ValueError as exc:
        raise RunFormatError(path, f"not valid JSON ({exc})") from None
    except RecursionError:
        raise RunFormatError(path, "not valid: JSON nests too deeply") from None
    if not isinstance(data, dict):
        raise RunFormatError(path, "expected a JSON object at the top level")
    if _SURROGATE_ESCAPE.search(text):
        _check_text(data, path)
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RunFormatError(
            path, f"format_version is {short_repr(version)}; expected an integer from 1"
        )
    if version > FORMAT_VERSION:
        raise RunFormatError(
            path,
            f"format_version {version} is newer than this runreport understands "
            f"({FORMAT_VERSION}); upgrade runreport",
        )
    return data


def short_repr(value: object, limit: int = 80) -> str:
    """``repr`` of a value found in a file, cut short (values can be megabytes)."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    if isinstance(value, int) and value.bit_length() > 256:
        return "a very large integer"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field(data: dict[str, Any], name: str, kinds: tuple[type, ...], path: object) -> Any:
    value = data.get(name)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        allowed = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise RunFormatError(path, f"field {name!r} is {short_repr(value)}; expected {allowed}")
    return value


def _time(data: dict[str, Any], name: str, path: object) -> int | None:
    """A time field: null, or integer milliseconds from the epoch to the end of year 9999."""
    value = _field(data, name, (int, type(None)), path)
    if value is not None and not 0 <= value <= MAX_TIME_MS:
        raise RunFormatError(
            path,
            f"field {name!r} is {short_repr(value)}; expected milliseconds since 1970 "
            f"(0 to {MAX_TIME_MS})",
        )
    return value


_STR_ONLY = {str}


def _string_map(data: dict[str, Any], name: str, path: object) -> dict[str, str]:
    value = data.get(name, {})
    # JSON object keys are always strings; check the values' types in one C-level pass.
    if type(value) is not dict or not set(map(type, value.values())) <= _STR_ONLY:
        raise RunFormatError(path, f"field {name!r} must map strings to strings")
    return value


# ---------------------------------------------------------------- experiment.json


@dataclass(slots=True)
class ExperimentRecord:
    experiment_id: str
    name: str
    lifecycle_stage: str = "active"
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return dumps(
            {
                "format_version": FORMAT_VERSION,
                "experiment_id": self.experiment_id,
                "name": self.name,
                "lifecycle_stage": self.lifecycle_stage,
                "creation_time": self.creation_time,
                "last_update_time": self.last_update_time,
                "tags": self.tags,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes, path: object) -> ExperimentRecord:
        data = loads(text, path)
        stage = _field(data, "lifecycle_stage", (str,), path)
        if stage not in LIFECYCLE_STAGES:
            raise RunFormatError(
                path, f"lifecycle_stage {short_repr(stage)} is not active or deleted"
            )
        return cls(
            experiment_id=_field(data, "experiment_id", (str,), path),
            name=_field(data, "name", (str,), path),
            lifecycle_stage=stage,
            creation_time=_time(data, "creation_time", path),
            last_update_time=_time(data, "last_update_time", path),
            tags=_string_map(data, "tags", path),
        )


# ---------------------------------------------------------------- run.json


@dataclass(slots=True)
class RunRecord:
    run_id: str
    experiment_id: str
    run_name: str
    status: str = "RUNNING"
    start_time: int | None = None
    end_time: int | None = None
    user_id: str = ""
    parent_run_id: str | None = None
    lifecycle_stage: str = "active"
    description: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return dumps(
            {
                "format_version": FORMAT_VERSION,
                "run_id": self.run_id,
                "experiment_id": self.experiment_id,
                "run_name": self.run_name,
                "status": self.status,
                "start_time": self.start_time,
                "end_time": self.end_time,
                "user_id": self.user_id,
                "parent_run_id": self.parent_run_id,
                "lifecycle_stage": self.lifecycle_stage,
                "description": self.description,
                "params": self.params,
                "tags": self.tags,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes, path: object) -> RunRecord:
        data = loads(text, path)
        status = _field(data, "status", (str,), path)
        if status not in RUN_STATUSES:
            raise RunFormatError(
                path, f"status {short_repr(status)} is not one of {', '.join(RUN_STATUSES)}"
            )
        stage = _field(data, "lifecycle_stage", (str,), path)
        if stage not in LIFECYCLE_STAGES:
            raise RunFormatError(
                path, f"lifecycle_stage {short_repr(stage)} is not active or deleted"
            )
        return cls(
            run_id=_field(data, "run_id", (str,), path),
            experiment_id=_field(data, "experiment_id", (str,), path),
            run_name=_field(data, "run_name", (str,), path),
            status=status,
            start_time=_time(data, "start_time", path),
            end_time=_time(data, "end_time", path),
            user_id=_field(data, "user_id", (str,), path),
            parent_run_id=_field(data, "parent_run_id", (str, type(None)), path),
            lifecycle_stage=stage,
            description=_field(data, "description", (str, type(None)), path),
            params=_string_map(data, "params", path),
            tags=_string_map(data, "tags", path),
        )

    @property
    def all_tags(self) -> dict[str, str]:
        """:meth:`visible_tags`, as an attribute (what search reads on a record)."""
        return self.visible_tags()

    def visible_tags(self) -> dict[str, str]:
        """Stored tags plus the ``mlflow.*`` tags MLflow derives from run meta."""
        tags = dict(self.tags)
        for tag, attribute in META_TAGS.items():
            value = getattr(self, attribute)
            if value:
                tags[tag] = value
        return tags


# ---------------------------------------------------------------- metrics.tsv


def format_metric_line(key: str, timestamp: int, step: int, value: float) -> str:
    """One history point: ``key<TAB>timestamp<TAB>step<TAB>value`` (repr keeps floats exact)."""
    return f"{key}\t{timestamp}\t{step}\t{value!r}\n"


def parse_metric_lines(data: bytes) -> Iterator[tuple[str, int, int, float]]:
    """Yield ``(key, timestamp, step, value)`` for every well-formed complete line.

    A torn last line (no trailing newline: a crash mid-write) and malformed lines are skipped.
    """
    end = data.rfind(b"\n")
    if end < 0:
        return
    for line in data[:end].decode("utf-8", errors="replace").split("\n"):
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        try:
            point = parts[0], int(parts[1]), int(parts[2]), float(parts[3])
        except ValueError:
            continue
        if (len(parts[1]) > 18 or len(parts[2]) > 18) and not (
            _is_int64(point[1]) and _is_int64(point[2])
        ):
            continue  # beyond 64 bits: not a timestamp or step any writer made
        yield point


def _is_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


# ---------------------------------------------------------------- summary.json


# A metric's summary row: [value, timestamp, step, min, max, count] where value/timestamp/step
# are the latest point's. Plain lists keep reading 10,000 runs cheap.
VALUE, TIMESTAMP, STEP, MIN, MAX, COUNT = range(6)
SummaryRow = list  # [float, int, int, float, float, int]


def add_point(row: SummaryRow, timestamp: int, step: int, value: float) -> None:
    """Fold one point into a summary row.

    The latest point is MLflow's: the highest step, then the highest timestamp, then the highest
    value (a number beats NaN).
    """
    if (step, timestamp) > (row[STEP], row[TIMESTAMP]) or (
        (step, timestamp) == (row[STEP], row[TIMESTAMP]) and _beats(value, row[VALUE])
    ):
        row[VALUE], row[TIMESTAMP], row[STEP] = value, timestamp, step
    if value == value:  # not NaN
        if not row[MIN] <= value:  # also replaces a NaN minimum
            row[MIN] = value
        if not row[MAX] >= value:
            row[MAX] = value
    row[COUNT] += 1


def _beats(value: float, current: float) -> bool:
    return value > current or (current != current and value == value)


@dataclass(slots=True)
class Summary:
    """What ``summary.json`` holds: per-metric rows covering the first ``covered_bytes`` bytes."""

    covered_bytes: int = 0
    metrics: dict[str, SummaryRow] = field(default_factory=dict)

    def add(self, key: str, timestamp: int, step: int, value: float) -> None:
        row = self.metrics.get(key)
        if row is None:
            self.metrics[key] = [value, timestamp, step, value, value, 1]
        else:
            add_point(row, timestamp, step, value)

    def add_bytes(self, data: bytes) -> int:
        """Fold the complete lines of ``data`` in; return how many bytes were consumed."""
        for key, timestamp, step, value in parse_metric_lines(data):
            self.add(key, timestamp, step, value)
        return data.rfind(b"\n") + 1

    def to_json(self) -> str:
        metrics = {
            key: {
                "value": encode_float(r[VALUE]),
                "timestamp": r[TIMESTAMP],
                "step": r[STEP],
                "min": encode_float(r[MIN]),
                "max": encode_float(r[MAX]),
                "count": r[COUNT],
            }
            for key, r in self.metrics.items()
        }
        return dumps(
            {
                "format_version": FORMAT_VERSION,
                "covered_bytes": self.covered_bytes,
                "metrics": metrics,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes, path: object) -> Summary:
        data = loads(text, path, unique_keys=False)
        covered = _field(data, "covered_bytes", (int,), path)
        if not 0 <= covered <= INT64_MAX:
            raise RunFormatError(
                path, f"covered_bytes is {short_repr(covered)}; expected a size in bytes"
            )
        raw = data.get("metrics")
        if not isinstance(raw, dict):
            raise RunFormatError(path, "field 'metrics' must be an object")
        key = None
        try:
            metrics = {}
            for key, entry in raw.items():
                metrics[key] = _summary_row(entry)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise RunFormatError(
                path, f"the summary of metric {short_repr(key)} is malformed ({_reason(exc)})"
            ) from None
        return cls(covered, metrics)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r}"
    if isinstance(exc, TypeError):
        return "expected an object with value, timestamp, step, min, max and count"
    return str(exc)[:200]


def _summary_row(e: dict[str, Any]) -> SummaryRow:
    timestamp, step, count = e["timestamp"], e["step"], e["count"]
    if type(timestamp) is not int or type(step) is not int or type(count) is not int:
        shown = ", ".join(short_repr(v) for v in (timestamp, step, count))
        raise ValueError(f"timestamp, step and count must be integers, got {shown}")
    if not (
        INT64_MIN <= timestamp <= INT64_MAX
        and INT64_MIN <= step <= INT64_MAX
        and 0 <= count <= INT64_MAX
    ):
        raise ValueError("timestamp, step or count is out of range")
    row = [e["value"], timestamp, step, e["min"], e["max"], count]
    for index in (VALUE, MIN, MAX):
        if type(row[index]) is not float:
            row[index] = decode_float(row[index])
    return row
