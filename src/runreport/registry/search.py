"""``search_registered_models`` and ``search_model_versions`` filters, on the one search parser.

The grammar is runreport's run-search grammar (:mod:`runreport.search`) with MLflow's fields for
the registry: registered models by ``name`` and ``tags.<key>``; model versions by ``name``,
``version_number``, ``run_id``, ``source_path`` and ``tags.<key>``, plus ``current_stage``
(beyond MLflow). Registered models sort by ``name`` by default, versions by name then version
number descending.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from runreport.registry.entities import ModelVersion, RegisteredModel
from runreport.search.parser import OrderKey, parse, parse_order
from runreport.search.predicates import _compile
from runreport.search.sorting import _apply_order
from runreport.search.targets import (
    NUMBER,
    STRING_COMPARATORS,
    TEXT,
    TEXT_OR_LIST,
    Rule,
    Target,
)

T = TypeVar("T")

_NAME_RULE = Rule("string", (*STRING_COMPARATORS, "IN", "NOT IN"))

REGISTERED_MODELS = Target(
    noun="registered models",
    prefixes={"tag": "tag", "tags": "tag", "attribute": "attribute", "attributes": "attribute"},
    entity_rules={"tag": TEXT},
    attribute_rules={
        "name": _NAME_RULE,
        "creation_timestamp": NUMBER,
        "last_updated_timestamp": NUMBER,
    },
    filter_attributes={"name": "name"},
    order_attributes={
        "name": "name",
        "timestamp": "creation_timestamp",
        "creation_timestamp": "creation_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
    },
    order_entities=frozenset({"attribute"}),
    paths={"tag": "tags", "attribute": ""},
    key_hint="tags.<key>",
)

MODEL_VERSIONS = Target(
    noun="model versions",
    prefixes={"tag": "tag", "tags": "tag", "attribute": "attribute", "attributes": "attribute"},
    entity_rules={"tag": TEXT},
    attribute_rules={
        "name": _NAME_RULE,
        "version_number": NUMBER,
        "run_id": TEXT_OR_LIST,
        "source_path": TEXT_OR_LIST,
        "current_stage": TEXT_OR_LIST,
        "creation_timestamp": NUMBER,
        "last_updated_timestamp": NUMBER,
    },
    filter_attributes={
        "name": "name",
        "version_number": "version_number",
        "run_id": "run_id",
        "source_path": "source_path",
        "current_stage": "current_stage",
    },
    order_attributes={
        "name": "name",
        "version_number": "version_number",
        "creation_timestamp": "creation_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
    },
    order_entities=frozenset({"attribute"}),
    paths={"tag": "tags", "attribute": ""},
    key_hint="tags.<key>",
)

_DEFAULT_VERSION_ORDER = [
    OrderKey("attribute", "name"),
    OrderKey("attribute", "version_number", False),
]


def search_models(
    models: Iterable[RegisteredModel], filter_string: str | None, order_by: list[str] | None
) -> list[RegisteredModel]:
    """The registered models matching ``filter_string``, sorted by ``order_by`` (default name).

    Raises:
        FilterSyntaxError: the filter or an order_by clause is not valid.
    """
    matches = _compile(parse(filter_string, REGISTERED_MODELS), REGISTERED_MODELS)
    keys = parse_order(order_by, REGISTERED_MODELS)
    found = sorted((model for model in models if matches(model)), key=lambda m: m.name)
    return _apply_order(found, keys, REGISTERED_MODELS)


def search_versions(
    versions: Iterable[ModelVersion], filter_string: str | None, order_by: list[str] | None
) -> list[ModelVersion]:
    """The model versions matching ``filter_string``, sorted by ``order_by``.

    Raises:
        FilterSyntaxError: the filter or an order_by clause is not valid.
    """
    matches = _compile(parse(filter_string, MODEL_VERSIONS), MODEL_VERSIONS)
    keys = parse_order(order_by, MODEL_VERSIONS) or _DEFAULT_VERSION_ORDER
    return _apply_order([v for v in versions if matches(v)], keys, MODEL_VERSIONS)
