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
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def dumps(data: dict[str, Any]) -> str:
    """Serialize a record: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def loads(text: str | bytes, path: object) -> dict[str, Any]:
    """Parse a record file and check its format version; errors name the file."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunFormatError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RunFormatError(path, "expected a JSON object at the top level")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RunFormatError(path, f"format_version is {version!r}; expected an integer")
    if version > FORMAT_VERSION:
        raise RunFormatError(
            path,
            f"format_version {version} is newer than this runreport understands "
            f"({FORMAT_VERSION}); upgrade runreport",
        )
    return data


def _field(data: dict[str, Any], name: str, kinds: tuple[type, ...], path: object) -> Any:
    value = data.get(name)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        allowed = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise RunFormatError(path, f"field {name!r} is {value!r}; expected {allowed}")
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
            raise RunFormatError(path, f"lifecycle_stage {stage!r} is not active or deleted")
        return cls(
            experiment_id=_field(data, "experiment_id", (str,), path),
            name=_field(data, "name", (str,), path),
            lifecycle_stage=stage,
            creation_time=_field(data, "creation_time", (int, type(None)), path),
            last_update_time=_field(data, "last_update_time", (int, type(None)), path),
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
            raise RunFormatError(path, f"status {status!r} is not one of {', '.join(RUN_STATUSES)}")
        stage = _field(data, "lifecycle_stage", (str,), path)
        if stage not in LIFECYCLE_STAGES:
            raise RunFormatError(path, f"lifecycle_stage {stage!r} is not active or deleted")
        return cls(
            run_id=_field(data, "run_id", (str,), path),
            experiment_id=_field(data, "experiment_id", (str,), path),
            run_name=_field(data, "run_name", (str,), path),
            status=status,
            start_time=_field(data, "start_time", (int, type(None)), path),
            end_time=_field(data, "end_time", (int, type(None)), path),
            user_id=_field(data, "user_id", (str,), path),
            parent_run_id=_field(data, "parent_run_id", (str, type(None)), path),
            lifecycle_stage=stage,
            description=_field(data, "description", (str, type(None)), path),
            params=_string_map(data, "params", path),
            tags=_string_map(data, "tags", path),
        )

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
            yield parts[0], int(parts[1]), int(parts[2]), float(parts[3])
        except ValueError:
            continue


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
        data = loads(text, path)
        covered = _field(data, "covered_bytes", (int,), path)
        raw = data.get("metrics")
        if not isinstance(raw, dict):
            raise RunFormatError(path, "field 'metrics' must be an object")
        try:
            metrics = {key: _summary_row(e) for key, e in raw.items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise RunFormatError(path, f"metric summary is malformed ({exc!r})") from None
        return cls(covered, metrics)


def _summary_row(e: dict[str, object]) -> SummaryRow:
    row = [e["value"], e["timestamp"], e["step"], e["min"], e["max"], e["count"]]
    if type(row[TIMESTAMP]) is not int or type(row[STEP]) is not int or type(row[COUNT]) is not int:
        raise ValueError(f"timestamp, step and count must be integers, got {row[1:3] + row[5:]}")
    for index in (VALUE, MIN, MAX):
        if type(row[index]) is not float:
            row[index] = decode_float(row[index])
    return row
