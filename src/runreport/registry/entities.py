"""``ModelVersion`` and ``RegisteredModel``, shaped like MLflow's registry entities.

``version`` is an int, as MLflow 3's local (SQL) registry returns it; aliases of a registered
model map alias -> int version. stages.yaml holds no timestamps, so both timestamps are None
(git history has the dates, see :mod:`runreport.registry.history`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from runreport.registry.stages import STAGE_NONE, ModelRecord, VersionRecord

STATUS_READY = "READY"


@dataclass
class ModelVersion:
    """One version of a registered model."""

    name: str
    version: int
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = STAGE_NONE
    source: str | None = None
    run_id: str | None = None
    status: str = STATUS_READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def version_number(self) -> int:
        """The version as a number (the name search filters use)."""
        return self.version

    @property
    def source_path(self) -> str | None:
        """The source (the name search filters use)."""
        return self.source

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict."""
        return asdict(self)


@dataclass
class RegisteredModel:
    """A registered model: its description, aliases, tags and latest version per stage."""

    name: str
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (latest versions included as dicts)."""
        return asdict(self)


def to_model_version(model: ModelRecord, record: VersionRecord, run_id: str | None) -> ModelVersion:
    """The ``ModelVersion`` of one version record."""
    return ModelVersion(
        name=model.name,
        version=record.version,
        description=record.description,
        current_stage=record.stage,
        source=record.source,
        run_id=run_id,
        tags=dict(record.tags),
        aliases=[alias for alias, target in model.aliases.items() if target == record.version],
    )


def latest_per_stage(versions: list[ModelVersion]) -> list[ModelVersion]:
    """The highest version in each stage, by version number (MLflow's ``latest_versions``)."""
    latest: dict[str, ModelVersion] = {}
    for version in versions:
        held = latest.get(version.current_stage)
        if held is None or version.version > held.version:
            latest[version.current_stage] = version
    return sorted(latest.values(), key=lambda version: version.version)


def to_registered_model(model: ModelRecord, versions: list[ModelVersion]) -> RegisteredModel:
    """The ``RegisteredModel`` of one model record and its versions."""
    return RegisteredModel(
        name=model.name,
        description=model.description,
        latest_versions=latest_per_stage(versions),
        tags=dict(model.tags),
        aliases=dict(model.aliases),
    )
