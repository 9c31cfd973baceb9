"""Plumbing shared by the registry client methods: the file, its records, entities, lookups."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runreport.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from runreport.registry.entities import ModelVersion, RegisteredModel
    from runreport.registry.location import RegistryFile
    from runreport.registry.stages import ModelRecord, Registry, VersionRecord


class RegistryBase:
    """What every registry method needs; ``registry_uri`` picks the stages.yaml."""

    registry_uri: str | None
    root: Path

    def _registry_file(self) -> RegistryFile:
        from runreport.registry.location import RegistryFile, registry_path

        return RegistryFile(registry_path(self.registry_uri))

    def _read(self) -> tuple[RegistryFile, Registry]:
        file = self._registry_file()
        return file, file.load()

    def _version_entity(
        self, file: RegistryFile, model: ModelRecord, record: VersionRecord
    ) -> ModelVersion:
        from runreport.registry.entities import to_model_version
        from runreport.registry.sources import run_id_of

        return to_model_version(model, record, run_id_of(record.source, file.folder))

    def _model_entity(self, file: RegistryFile, model: ModelRecord) -> RegisteredModel:
        from runreport.registry.entities import to_registered_model

        versions = [self._version_entity(file, model, v) for v in model.versions.values()]
        return to_registered_model(model, versions)

    def resolve_model_uri(self, uri: str) -> str:
        """The source behind a ``models:/`` URI (see ``runreport.registry.resolve_model_uri``)."""
        from runreport.registry.lookup import resolve_in

        file, registry = self._read()
        return resolve_in(registry, uri, file.folder)

    def _all_versions(self) -> list[ModelVersion]:
        file, registry = self._read()
        return [
            self._version_entity(file, model, record)
            for model in registry.models.values()
            for record in model.versions.values()
        ]


def find_model(registry: Registry, name: str) -> ModelRecord:
    from runreport.registry import lookup

    return lookup.find_model(registry, name)


def find_version(model: ModelRecord, version: object) -> VersionRecord:
    from runreport.registry import lookup

    return lookup.find_version(model, version)


def version_number(version: object) -> int:
    from runreport.registry import lookup

    return lookup.version_number(version)


def clean_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in (tags or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise InvalidParameterError(f"tag key {key!r} must be a non-empty string")
        clean[key] = str(value)
    return clean
