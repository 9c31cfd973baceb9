"""MlflowClient's model-version methods over stages.yaml (mixed into ``runreport.Client``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from runreport.exceptions import InvalidParameterError
from runreport.registry.client_base import (
    RegistryBase,
    clean_tags,
    find_model,
    find_version,
    version_number,
)

if TYPE_CHECKING:
    from runreport.registry.entities import ModelVersion
    from runreport.registry.stages import Registry

logger = logging.getLogger("runreport")

SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10000


class VersionMethods(RegistryBase):
    """Create, read, move, describe, tag, search and delete model versions."""

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
    ) -> ModelVersion:
        """Add the next version of the existing model ``name``, from model ``source``.

        ``run_id``, ``run_link`` and ``await_creation_for`` are accepted for MLflow
        compatibility; the run is the one ``source`` names.

        Raises:
            ResourceNotFoundError: no such model, or ``source`` is not a model folder.
        """
        return self._add_version(name, source, tags, description, create_model=False)

    def _add_version(
        self,
        name: str,
        model_uri: str,
        tags: dict[str, Any] | None,
        description: str | None,
        create_model: bool,
    ) -> ModelVersion:
        from runreport.registry import edits
        from runreport.registry.sources import MODELS_SCHEME, record_source
        from runreport.registry.stages import model_name_problem

        problem = model_name_problem(name)
        if problem:
            raise InvalidParameterError(problem)
        file = self._registry_file()
        if str(model_uri).startswith(MODELS_SCHEME):
            model_uri = self.resolve_model_uri(str(model_uri))
        source = record_source(str(model_uri), file.folder, self)
        checked_tags = clean_tags(tags)

        def change(root: Any, registry: Registry) -> tuple[Any, int]:
            if name not in registry.models:
                if not create_model:
                    find_model(registry, name)
                root = edits.add_model(root, name, None, None)
                logger.info("Registered model %r", name)
            existing = registry.models[name].versions if name in registry.models else {}
            number = max(existing, default=0) + 1
            return edits.add_version(root, name, number, source, description, checked_tags), number

        number = file.edit(change)
        logger.info("Created version %d of model %r", number, name)
        return self.get_model_version(name, number)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Version ``version`` of model ``name``.

        Raises:
            ResourceNotFoundError: no such model or version; the message lists what exists.
        """
        file, registry = self._read()
        model = find_model(registry, name)
        return self._version_entity(file, model, find_version(model, version))

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """The URI the version's model is loaded from (its source, made absolute if a path)."""
        from runreport.registry.sources import resolved_source

        file = self._registry_file()
        source = self.get_model_version(name, version).source or ""
        return resolved_source(source, file.folder)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """Set the description of a version (None leaves it, "" removes it)."""
        if description is not None:
            self._edit_version(name, version, "description", description or None)
        return self.get_model_version(name, version)

    def transition_model_version_stage(
        self, name: str, version: int | str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move a version to ``stage`` (None, Staging, Production, Archived; any case).

        Args:
            name: the registered model.
            version: the version number.
            stage: the new stage.
            archive_existing_versions: move the model's other versions in ``stage`` to
                Archived (only for Staging and Production, as in MLflow).

        Raises:
            InvalidParameterError: the stage is not valid, or archiving asked for another stage.
            ResourceNotFoundError: no such model or version.
        """
        from runreport.registry import edits
        from runreport.registry.stages import ACTIVE_STAGES, STAGE_ARCHIVED, canonical_stage

        target = canonical_stage(stage)
        if archive_existing_versions and target not in ACTIVE_STAGES:
            raise InvalidParameterError(
                f"archive_existing_versions needs stage Staging or Production, not {target}"
            )
        number = version_number(version)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            model = find_model(registry, name)
            find_version(model, number)
            edits.set_field(edits.version_entry(root, name, number), "stage", target)
            for other in model.versions.values():
                if archive_existing_versions and other.version != number and other.stage == target:
                    entry = edits.version_entry(root, name, other.version)
                    edits.set_field(entry, "stage", STAGE_ARCHIVED)
            return root, None

        self._registry_file().edit(change)
        return self.get_model_version(name, number)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Remove a version, and the aliases that pointed to it."""
        from runreport.registry import edits

        number = version_number(version)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_version(find_model(registry, name), number)
            edits.delete_version(root, name, number)
            return root, None

        self._registry_file().edit(change)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The highest version of model ``name`` in each of ``stages`` (default: every stage).

        Raises:
            InvalidParameterError: a stage is not valid.
            ResourceNotFoundError: no such model.
        """
        from runreport.registry.stages import canonical_stage

        wanted = {canonical_stage(stage) for stage in stages} if stages else None
        file, registry = self._read()
        latest = self._model_entity(file, find_model(registry, name)).latest_versions
        return [v for v in latest if wanted is None or v.current_stage in wanted]

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[ModelVersion]:
        """Versions matching ``filter_string`` (``name = 'M' and version_number > 1``...).

        Returns a list with a ``token`` attribute for the next page (None on the last page).

        Raises:
            FilterSyntaxError: the filter or an order_by clause is not valid.
        """
        from runreport.registry.search import search_versions
        from runreport.tracking.client import _page

        found = search_versions(self._all_versions(), filter_string, order_by)
        return _page(found, max_results, page_token)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        """Set tag ``key`` of a version."""
        tags = clean_tags({key: value})
        self._edit_version(name, version, ("tags", key), tags[key])

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove tag ``key`` of a version (nothing happens if it is not set)."""
        self._edit_version(name, version, ("tags", key), None)

    def _edit_version(
        self, name: str, version: int | str, key: str | tuple[str, str], value: str | None
    ) -> None:
        from runreport.registry import edits

        number = version_number(version)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_version(find_model(registry, name), number)
            entry = edits.version_entry(root, name, number)
            if isinstance(key, tuple):
                edits.set_tag(entry, key[1], value)
            else:
                edits.set_field(entry, key, value)
            return root, None

        self._registry_file().edit(change)
