"""Tracking entities shaped like MLflow's, so code written for ``mlflow.entities`` keeps working.

``run.info.run_id``, ``run.data.metrics`` (latest values), ``Metric(key, value, timestamp,
step)``, ``ViewType.ACTIVE_ONLY`` ... all mean what they mean in MLflow. runreport adds a few
read-only extras (``RunInfo.parent_run_id``, ``RunInfo.description``,
``RunData.metric_summaries``) that MLflow keeps in tags or does not have.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from runreport.exceptions import InvalidParameterError


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _NAMES: ClassVar[dict[str, int]] = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}

    @classmethod
    def from_string(cls, name: str) -> int:
        try:
            return cls._NAMES[name.upper()]
        except KeyError:
            raise InvalidParameterError(
                f"view type {name!r} is not valid; expected one of ACTIVE_ONLY, DELETED_ONLY, ALL"
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        for name, value in cls._NAMES.items():
            if value == view_type:
                return name
        raise InvalidParameterError(
            f"view type {view_type!r} is not valid; expected ViewType.ACTIVE_ONLY (1), "
            "DELETED_ONLY (2) or ALL (3)"
        )

    @classmethod
    def lifecycle_stages(cls, view_type: int) -> frozenset[str]:
        cls.to_string(view_type)  # validates
        return {
            cls.ACTIVE_ONLY: frozenset({LifecycleStage.ACTIVE}),
            cls.DELETED_ONLY: frozenset({LifecycleStage.DELETED}),
            cls.ALL: frozenset({LifecycleStage.ACTIVE, LifecycleStage.DELETED}),
        }[view_type]


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus:
    """Run statuses as MLflow names them; runs store and return the string form."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINATED = frozenset({FINISHED, FAILED, KILLED})
    # MLflow's integer codes (used in mlruns/ meta.yaml files).
    CODES: ClassVar[dict[str, int]] = {RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5}

    @classmethod
    def validate(cls, status: object) -> str:
        """Return ``status`` as an upper-case status name or raise a clear error."""
        name = cls.to_string(status) if isinstance(status, int) else str(status).upper()
        if name not in cls.ALL:
            raise InvalidParameterError(
                f"run status {status!r} is not valid; expected one of {', '.join(cls.ALL)}"
            )
        return name

    @classmethod
    def to_string(cls, code: int) -> str:
        for name, value in cls.CODES.items():
            if value == code:
                return name
        raise InvalidParameterError(f"run status code {code!r} is not valid; expected 1 to 5")

    @classmethod
    def from_string(cls, name: str) -> int:
        return cls.CODES[cls.validate(name)]

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        return status in cls.TERMINATED


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "timestamp": self.timestamp,
            "step": self.step,
        }


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ExperimentTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """Latest value by MLflow's rule (highest step, then timestamp) plus min, max and count.

    ``min``/``max`` ignore NaN; they are NaN only when every point is NaN.
    """

    latest: Metric
    min: float
    max: float
    count: int


@dataclass(slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass(slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    parent_run_id: str | None = None
    description: str | None = None

    @property
    def run_uuid(self) -> str:
        """MLflow's deprecated alias of ``run_id``."""
        return self.run_id


@dataclass(slots=True)
class RunData:
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_summaries: Mapping[str, MetricSummary] = field(default_factory=dict)


@dataclass(slots=True)
class Run:
    info: RunInfo
    data: RunData
    source: str = ""  # the folder or store the run was read from

    def to_dictionary(self) -> dict[str, Any]:
        return {
            "info": {
                name: getattr(self.info, name)
                for name in (
                    "run_id",
                    "run_name",
                    "experiment_id",
                    "user_id",
                    "status",
                    "start_time",
                    "end_time",
                    "artifact_uri",
                    "lifecycle_stage",
                )
            },
            "data": {
                "metrics": dict(self.data.metrics),
                "params": dict(self.data.params),
                "tags": dict(self.data.tags),
            },
        }


def is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
