"""Edits of a loaded stages.yaml tree that keep the author's comments, key order and style.

Each function changes the round-trip tree in place (the tree has been validated first, so the
shapes are known) and returns the root, which is new when the file was empty. New entries follow
the style around them: a version is written as a flow mapping, like its siblings, unless the
siblings are block mappings.
"""

from __future__ import annotations

from typing import Any

from runreport.registry.stages import STAGE_NONE


def _map(*pairs: tuple[str, Any], flow: bool = False) -> Any:
    from ruamel.yaml.comments import CommentedMap

    mapping = CommentedMap(pairs)
    if flow:
        mapping.fa.set_flow_style()
    return mapping


def _is_flow(mapping: Any) -> bool:
    return bool(getattr(getattr(mapping, "fa", None), "flow_style", lambda: False)())


def _text(value: str, flow: bool) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if "\n" not in value:
        return value
    return DoubleQuotedScalarString(value) if flow else LiteralScalarString(value)


def models_map(root: Any) -> tuple[Any, Any]:
    """The root (created when the file was empty) and its ``models`` mapping (created if absent)."""
    if root is None:
        root = _map()
    if root.get("models") is None:
        root["models"] = _map()
    return root, root["models"]


def model_body(root: Any, name: str) -> Any:
    """The mapping of model ``name``; an empty entry (``Name:``) becomes a mapping."""
    models = root["models"]
    if models[name] is None:
        models[name] = _map()
    return models[name]


def add_model(root: Any, name: str, description: str | None, tags: dict[str, str] | None) -> Any:
    """Append model ``name`` (which must not exist) and return the root."""
    root, models = models_map(root)
    body = _map()
    if description:
        body["description"] = _text(description, flow=False)
    if tags:
        body["tags"] = _map(*tags.items(), flow=True)
    body["versions"] = _map()
    models[name] = body
    return root


def add_version(
    root: Any,
    name: str,
    number: int,
    source: str,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> Any:
    """Append version ``number`` of model ``name`` in stage None and return the root."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    body = model_body(root, name)
    if body.get("versions") is None:
        _insert_before(body, "versions", _map(), "aliases")
    versions = body["versions"]
    siblings = [value for value in versions.values() if isinstance(value, dict)]
    flow = not siblings or _is_flow(siblings[-1])
    entry = _map(("source", DoubleQuotedScalarString(source)), ("stage", STAGE_NONE), flow=flow)
    if description:
        entry["description"] = _text(description, flow)
    if tags:
        entry["tags"] = _map(*tags.items(), flow=True)
    versions[number] = entry
    return root


def set_field(mapping: Any, key: str, value: str | None) -> None:
    """Set ``key`` to text ``value`` in a model or version mapping; None removes it.

    A new key goes at the end of a version and at the top of a model (descriptions come first).
    """
    if value is None:
        mapping.pop(key, None)
        return
    scalar = _text(value, _is_flow(mapping))
    if key in mapping or "versions" not in mapping:
        mapping[key] = scalar
    else:
        mapping.insert(0, key, scalar)


def version_entry(root: Any, name: str, number: int) -> Any:
    """The mapping of version ``number`` of model ``name``."""
    return root["models"][name]["versions"][number]


def set_tag(mapping: Any, key: str, value: str | None) -> None:
    """Set (or with None remove) tag ``key`` of a model or version mapping."""
    tags = mapping.get("tags")
    if value is None:
        if tags is not None:
            tags.pop(key, None)
            if not tags:
                del mapping["tags"]
        return
    if tags is None:
        mapping["tags"] = tags = _map(flow=True)
    tags[key] = value


def set_alias(root: Any, name: str, alias: str, version: int) -> None:
    """Point ``alias`` of model ``name`` at ``version`` (adding the aliases mapping if needed)."""
    body = model_body(root, name)
    if body.get("aliases") is None:
        body["aliases"] = _map(flow=True)
    body["aliases"][alias] = version


def delete_alias(root: Any, name: str, alias: str) -> None:
    """Remove ``alias`` of model ``name``; the aliases mapping goes when it is empty."""
    body = model_body(root, name)
    aliases = body.get("aliases")
    if aliases is None:
        return
    aliases.pop(alias, None)
    if not aliases:
        del body["aliases"]


def delete_version(root: Any, name: str, number: int) -> list[str]:
    """Remove version ``number`` and the aliases that pointed to it; returns those aliases."""
    body = model_body(root, name)
    del body["versions"][number]
    dropped = [alias for alias, target in (body.get("aliases") or {}).items() if target == number]
    for alias in dropped:
        delete_alias(root, name, alias)
    return dropped


def delete_model(root: Any, name: str) -> None:
    """Remove model ``name`` with its versions and aliases."""
    del root["models"][name]


def rename_model(root: Any, name: str, new_name: str) -> None:
    """Rename model ``name`` in place, keeping its position and comments."""
    models = root["models"]
    position = list(models).index(name)
    comment = models.ca.items.pop(name, None)
    body = models.pop(name)
    models.insert(position, new_name, body)
    if comment is not None:
        models.ca.items[new_name] = comment


def _insert_before(mapping: Any, key: str, value: Any, before: str) -> None:
    if before in mapping:
        mapping.insert(list(mapping).index(before), key, value)
    else:
        mapping[key] = value
