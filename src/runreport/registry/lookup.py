"""Finding models, versions and aliases in the records, and resolving ``models:/`` URIs.

Every miss is a ResourceNotFoundError that names what was asked and lists what exists.
"""

from __future__ import annotations

from pathlib import Path

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.registry.stages import STAGES, ModelRecord, Registry, VersionRecord

MODELS_SCHEME = "models:/"
LATEST = "latest"


def _listing(items: list[str]) -> str:
    return ", ".join(items) if items else "none"


def version_number(version: object) -> int:
    """A version given as int or digit string, as an int.

    Raises:
        InvalidParameterError: not a positive integer.
    """
    if isinstance(version, bool):
        raise InvalidParameterError(f"version {version!r} must be a positive integer")
    try:
        number = int(str(version).strip())
    except ValueError:
        raise InvalidParameterError(f"version {version!r} must be a positive integer") from None
    if number < 1:
        raise InvalidParameterError(f"version {version!r} must be a positive integer")
    return number


def find_model(registry: Registry, name: str) -> ModelRecord:
    """The model ``name``, or ResourceNotFoundError listing the models in the file."""
    model = registry.models.get(name)
    if model is None:
        known = _listing([repr(key) for key in registry.models])
        raise ResourceNotFoundError(
            f"registered model {name!r} does not exist in {registry.label}; models: {known}"
        )
    return model


def find_version(model: ModelRecord, version: object) -> VersionRecord:
    """Version ``version`` of ``model``, or ResourceNotFoundError listing its versions."""
    number = version_number(version)
    record = model.versions.get(number)
    if record is None:
        known = _listing([str(key) for key in model.versions])
        raise ResourceNotFoundError(
            f"version {number} of model {model.name!r} does not exist; versions: {known}"
        )
    return record


def find_alias(model: ModelRecord, alias: str) -> VersionRecord:
    """The version ``alias`` points to, or ResourceNotFoundError listing the aliases."""
    number = model.aliases.get(alias)
    if number is None:
        known = _listing([f"{name} -> {target}" for name, target in model.aliases.items()])
        raise ResourceNotFoundError(
            f"alias {alias!r} of model {model.name!r} does not exist; aliases: {known}"
        )
    return model.versions[number]


def find_in_stage(model: ModelRecord, stage: str) -> VersionRecord:
    """The highest version of ``model`` in ``stage`` (a canonical stage)."""
    matching = [record for record in model.versions.values() if record.stage == stage]
    if not matching:
        by_stage = {
            name: [str(r.version) for r in model.versions.values() if r.stage == name]
            for name in STAGES
        }
        held = [f"{name} ({', '.join(numbers)})" for name, numbers in by_stage.items() if numbers]
        raise ResourceNotFoundError(
            f"model {model.name!r} has no version in stage {stage}; stages in use: {_listing(held)}"
        )
    return max(matching, key=lambda record: record.version)


def parse_models_uri(uri: str) -> tuple[str, str, str]:
    """``models:/<name>/<suffix>`` or ``models:/<name>@<alias>`` -> ``(name, kind, value)``.

    ``kind`` is ``version``, ``latest``, ``stage`` or ``alias``.

    Raises:
        InvalidParameterError: the URI does not have one of those shapes.
    """
    rest = uri[len(MODELS_SCHEME) :] if uri.startswith(MODELS_SCHEME) else ""
    rest = rest.lstrip("/")
    if "@" in rest:
        name, _, alias = rest.partition("@")
        if name and alias and "/" not in name + alias:
            return name, "alias", alias
    else:
        name, _, suffix = rest.partition("/")
        if name and suffix and "/" not in suffix.strip("/"):
            suffix = suffix.strip("/")
            if suffix.isdigit():
                return name, "version", suffix
            if suffix.lower() == LATEST:
                return name, "latest", suffix
            return name, "stage", suffix
    raise InvalidParameterError(
        f"model URI {uri!r} is not valid; expected models:/<name>/<version>, "
        "models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>"
    )


def find_by_uri(registry: Registry, uri: str) -> tuple[ModelRecord, VersionRecord]:
    """The model and version a ``models:/`` URI names.

    Raises:
        InvalidParameterError: the URI is malformed or names no valid stage.
        ResourceNotFoundError: the model, version, stage or alias does not exist.
    """
    from runreport.registry.stages import canonical_stage

    name, kind, value = parse_models_uri(uri)
    model = find_model(registry, name)
    if kind == "version":
        return model, find_version(model, value)
    if kind == "alias":
        return model, find_alias(model, value)
    if kind == "latest":
        if not model.versions:
            raise ResourceNotFoundError(f"model {name!r} has no versions")
        return model, model.versions[max(model.versions)]
    try:
        stage = canonical_stage(value)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"model URI {uri!r}: {value!r} is not a version number, 'latest' or a stage "
            f"({', '.join(STAGES)})"
        ) from None
    return model, find_in_stage(model, stage)


def resolve_in(registry: Registry, uri: str, folder: Path) -> str:
    """The source URI a ``models:/`` URI stands for; relative paths made absolute."""
    from runreport.registry.sources import resolved_source

    _, record = find_by_uri(registry, uri)
    return resolved_source(record.source, folder)
