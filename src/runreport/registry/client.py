"""MlflowClient's model-registry methods, over stages.yaml: the mixin ``runreport.Client`` uses.

Light at import time (``import runreport`` imports it): the YAML library, the model package and
the search parser are imported when a method runs. Every read parses the file afresh, so hand
edits are seen at once; every write goes through :meth:`RegistryFile.edit` (locked, validated,
atomic, comments kept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runreport.exceptions import InvalidParameterError, ResourceExistsError
from runreport.registry.client_base import clean_tags, find_model, find_version, version_number
from runreport.registry.client_versions import VersionMethods

if TYPE_CHECKING:
    from runreport.registry.entities import ModelVersion, RegisteredModel
    from runreport.registry.stages import Registry

SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100


class RegistryClientMixin(VersionMethods):
    """The registry half of ``runreport.Client``: MlflowClient's registry methods and names."""

    def create_registered_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Add a registered model with no versions.

        Raises:
            ResourceExistsError: a model of that name exists.
            InvalidParameterError: the name is not valid.
        """
        from runreport.registry import edits
        from runreport.registry.stages import model_name_problem

        problem = model_name_problem(name)
        if problem:
            raise InvalidParameterError(problem)
        checked_tags = clean_tags(tags)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            if name in registry.models:
                raise ResourceExistsError(f"registered model {name!r} already exists")
            return edits.add_model(root, name, description, checked_tags), None

        self._registry_file().edit(change)
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model ``name``.

        Raises:
            ResourceNotFoundError: no such model; the message lists the models that exist.
        """
        file, registry = self._read()
        return self._model_entity(file, find_model(registry, name))

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        """Set the description of model ``name`` (None leaves it as it is, "" removes it)."""
        if description is not None:
            self._edit_model(
                name, lambda body, ed: ed.set_field(body, "description", description or None)
            )
        return self.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename model ``name`` to ``new_name``, keeping its place and comments in the file.

        Raises:
            ResourceExistsError: ``new_name`` is taken.
        """
        from runreport.registry import edits
        from runreport.registry.stages import model_name_problem

        problem = model_name_problem(new_name)
        if problem:
            raise InvalidParameterError(problem)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_model(registry, name)
            if new_name in registry.models:
                raise ResourceExistsError(f"registered model {new_name!r} already exists")
            edits.rename_model(root, name, new_name)
            return root, None

        self._registry_file().edit(change)
        return self.get_registered_model(new_name)

    def delete_registered_model(self, name: str) -> None:
        """Remove model ``name`` with all its versions and aliases."""
        from runreport.registry import edits

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_model(registry, name)
            edits.delete_model(root, name)
            return root, None

        self._registry_file().edit(change)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set tag ``key`` of model ``name``."""
        tags = clean_tags({key: value})
        self._edit_model(name, lambda body, ed: ed.set_tag(body, key, tags[key]))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove tag ``key`` of model ``name`` (nothing happens if it is not set)."""
        self._edit_model(name, lambda body, ed: ed.set_tag(body, key, None))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[RegisteredModel]:
        """Registered models matching a filter such as ``name LIKE 'Purchase%'``.

        Returns a list with a ``token`` attribute for the next page (None on the last page).

        Raises:
            FilterSyntaxError: the filter or an order_by clause is not valid.
        """
        from runreport.registry.search import search_models
        from runreport.tracking.client import _page

        file, registry = self._read()
        models = [self._model_entity(file, model) for model in registry.models.values()]
        return _page(search_models(models, filter_string, order_by), max_results, page_token)

    def _edit_model(self, name: str, apply: Any) -> None:
        from runreport.registry import edits

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_model(registry, name)
            apply(edits.model_body(root, name), edits)
            return root, None

        self._registry_file().edit(change)

    # ------------------------------------------------------------ aliases and URIs

    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` (e.g. ``champion``) of model ``name`` at ``version``.

        Raises:
            InvalidParameterError: the alias is not valid or reserved (``latest``, ``v1``...).
            ResourceNotFoundError: no such model or version.
        """
        from runreport.registry import edits
        from runreport.registry.stages import alias_problem

        problem = alias_problem(alias)
        if problem:
            raise InvalidParameterError(problem)
        number = version_number(version)

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_version(find_model(registry, name), number)
            edits.set_alias(root, name, alias, number)
            return root, None

        self._registry_file().edit(change)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` of model ``name`` (nothing happens if it is not set)."""
        from runreport.registry import edits

        def change(root: Any, registry: Registry) -> tuple[Any, None]:
            find_model(registry, name)
            edits.delete_alias(root, name, alias)
            return root, None

        self._registry_file().edit(change)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` of model ``name`` points to.

        Raises:
            ResourceNotFoundError: no such model or alias; the message lists the aliases.
        """
        from runreport.registry.lookup import find_alias

        file, registry = self._read()
        model = find_model(registry, name)
        return self._version_entity(file, model, find_alias(model, alias))
