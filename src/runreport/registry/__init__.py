"""The git-native model registry: a ``stages.yaml`` reviewed in pull requests.

``runreport.register_model`` and ``runreport.Client``'s registry methods (MlflowClient's names)
read and edit the file; :func:`resolve_model_uri` turns ``models:/`` URIs into model sources;
:func:`runreport.registry.history.registry_history` turns the file's git log into events;
:func:`runreport.registry.check.check_registry` validates it for a pull-request check. See
``docs/registry.md``. Light at import time: the YAML library loads on first use.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runreport.registry.entities import ModelVersion

# Loaded on first use so that ``import runreport`` (whose Client imports the registry mixin)
# stays fast.
_LAZY = {
    "ModelVersion": "entities",
    "RegisteredModel": "entities",
    "REGISTRY_ENV": "location",
    "registry_path": "location",
    "STAGES": "stages",
    "RegistryFormatError": "stages",
    "canonical_stage": "stages",
    "YamlFileError": "yamlfile",
    "check_registry": "check",
    "registry_history": "history",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runreport.registry' has no attribute {name!r}")
    return getattr(importlib.import_module(f"runreport.registry.{module}"), name)


def register_model(
    model_uri: str | os.PathLike[str],
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict[str, Any] | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` as the next version of ``name`` (created if new).

    Args:
        model_uri: ``runs:/<run_id>/<path>`` (recorded as given), a local model folder or
            ``file://`` URI (recorded relative to the registry file when inside its folder), or
            a ``models:/`` URI (its source is recorded).
        name: the registered model.
        await_registration_for: accepted for MLflow compatibility; registration is immediate.
        tags: tags of the new version.

    Raises:
        ResourceNotFoundError: ``model_uri`` does not resolve to a folder with an MLmodel file.
        InvalidParameterError: the name or URI is not valid.
    """
    from runreport.tracking.client import Client

    return Client()._add_version(name, os.fspath(model_uri), tags, None, create_model=True)


def resolve_model_uri(uri: str) -> str:
    """The source behind ``models:/<name>/<version|stage|latest>`` or ``models:/<name>@<alias>``.

    Stages match case-insensitively and give the highest version in that stage; ``latest`` the
    highest version. The result is a ``runs:/`` URI or an absolute path.

    Raises:
        ResourceNotFoundError: the model, version, stage or alias does not exist (the message
            lists what does).
        InvalidParameterError: the URI is malformed.
    """
    from runreport.tracking.client import Client

    return Client().resolve_model_uri(uri)


__all__ = [
    "REGISTRY_ENV",
    "STAGES",
    "ModelVersion",
    "RegisteredModel",
    "RegistryFormatError",
    "YamlFileError",
    "canonical_stage",
    "check_registry",
    "register_model",
    "registry_history",
    "registry_path",
    "resolve_model_uri",
]
