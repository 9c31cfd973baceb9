"""What a filter may name for each searchable thing (runs, experiments), as tables.

One parser serves both searches; a :class:`Target` tells it which prefixes, attributes and
comparators are allowed, and tells predicates and sorting where each value lives. The tables
follow MLflow's ``SearchUtils`` and ``SearchExperimentsUtils``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any

NUMERIC_COMPARATORS = ("=", "!=", "<", "<=", ">", ">=")
STRING_COMPARATORS = ("=", "!=", "LIKE", "ILIKE")
LIST_COMPARATORS = ("IN", "NOT IN")
NULL_COMPARATORS = ("IS NULL", "IS NOT NULL")


@dataclass(frozen=True)
class Rule:
    """The comparators a field accepts and the kind of value (``number`` or ``string``)."""

    kind: str
    comparators: tuple[str, ...]


NUMBER = Rule("number", NUMERIC_COMPARATORS)
TEXT = Rule("string", STRING_COMPARATORS)
TEXT_OR_NULL = Rule("string", STRING_COMPARATORS + NULL_COMPARATORS)
TEXT_OR_LIST = Rule("string", STRING_COMPARATORS + LIST_COMPARATORS)


@dataclass(frozen=True)
class Target:
    """The search grammar of one kind of object.

    ``prefixes`` maps each accepted prefix to its entity (``metric``, ``param``, ``tag``,
    ``attribute``); ``filter_attributes`` and ``order_attributes`` map attribute names and
    aliases to the attribute they mean; ``paths`` gives, per entity, the dotted path from the
    object to the dict (or, for attributes, the object) holding the value.
    """

    noun: str
    prefixes: Mapping[str, str]
    entity_rules: Mapping[str, Rule]
    attribute_rules: Mapping[str, Rule]
    filter_attributes: Mapping[str, str]
    order_attributes: Mapping[str, str]
    order_entities: frozenset[str]
    paths: Mapping[str, str]
    key_hint: str

    def rule(self, entity: str, key: str) -> Rule:
        """Return the rule of the field ``entity.key`` (``key`` already canonical)."""
        if entity == "attribute":
            return self.attribute_rules[key]
        return self.entity_rules[entity]


RUNS = Target(
    noun="runs",
    prefixes={
        **dict.fromkeys(("metric", "metrics"), "metric"),
        **dict.fromkeys(("param", "params", "parameter", "parameters"), "param"),
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("attribute", "attributes", "attr", "run"), "attribute"),
    },
    entity_rules={"metric": NUMBER, "param": TEXT_OR_NULL, "tag": TEXT_OR_NULL},
    attribute_rules={
        "run_id": TEXT_OR_LIST,
        "run_name": TEXT,
        "status": TEXT,
        "user_id": TEXT,
        "artifact_uri": TEXT,
        "start_time": NUMBER,
        "end_time": NUMBER,
    },
    filter_attributes={
        **{name: name for name in ("run_id", "run_name", "status", "user_id", "artifact_uri")},
        **dict.fromkeys(("run name", "Run name", "Run Name"), "run_name"),
        **dict.fromkeys(("start_time", "created", "Created"), "start_time"),
        "end_time": "end_time",
    },
    order_attributes={
        **{
            name: name
            for name in (
                "status",
                "start_time",
                "end_time",
                "run_name",
                "run_id",
                "user_id",
                "artifact_uri",
                "experiment_id",
            )
        },
        **dict.fromkeys(("created", "Created"), "start_time"),
    },
    order_entities=frozenset({"metric", "param", "tag", "attribute"}),
    paths={
        "metric": "data.metrics",
        "param": "data.params",
        "tag": "data.tags",
        "attribute": "info",
    },
    key_hint="metrics.<key>, params.<key> or tags.<key>",
)

# The same grammar read from a run's stored record (``run.json`` alone, before its metrics are
# read): params, tags with the ``mlflow.*`` tags derived from the run's meta, and the attributes
# the record holds (all but ``artifact_uri``, which depends on where the run is read from).
RUN_RECORDS = replace(RUNS, paths={"param": "params", "tag": "all_tags", "attribute": ""})
RECORD_ATTRIBUTES = frozenset(RUNS.attribute_rules) - {"artifact_uri"}
# ... and read from a run's latest metric values alone (``summary.json``, before its record).
RUN_METRICS = replace(RUNS, paths={"metric": "metrics"})

EXPERIMENTS = Target(
    noun="experiments",
    prefixes={"attribute": "attribute", "tag": "tag", "tags": "tag"},
    entity_rules={"tag": TEXT_OR_NULL},
    attribute_rules={
        "name": TEXT,
        "experiment_id": TEXT_OR_LIST,
        "creation_time": NUMBER,
        "last_update_time": NUMBER,
    },
    filter_attributes={
        name: name for name in ("name", "experiment_id", "creation_time", "last_update_time")
    },
    order_attributes={
        name: name for name in ("name", "experiment_id", "creation_time", "last_update_time")
    },
    order_entities=frozenset({"attribute"}),
    paths={"tag": "tags", "attribute": ""},
    key_hint="tags.<key>",
)


def reader(target: Target, entity: str, key: str) -> Callable[[Any], Any]:
    """Return a function giving the value of ``entity.key`` for one object, or None if missing."""
    path = target.paths[entity]
    if entity == "attribute":
        return attrgetter(f"{path}.{key}" if path else key)
    mapping = attrgetter(path)
    return lambda obj: mapping(obj).get(key)
