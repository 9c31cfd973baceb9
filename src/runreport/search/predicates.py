"""Filters compiled to predicates: the tree is walked once, into closures called per object.

Match rules are MLflow's: a missing metric, param, tag or attribute never matches (not even
``!=``) except ``IS NULL``; NaN compares like a Python float; ``=`` is case-sensitive; ``LIKE``
is case-sensitive and ``ILIKE`` is not, with ``%`` any run of characters, ``_`` any one
character and every other character literal.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runreport.search.parser import And, Comparison, Node, parse
from runreport.search.targets import (
    EXPERIMENTS,
    RECORD_ATTRIBUTES,
    RUN_METRICS,
    RUN_RECORDS,
    RUNS,
    Target,
    reader,
)
from runreport.tracking.entities import Experiment, Run

Predicate = Callable[[Any], bool]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_filter(text: str | None) -> Callable[[Run], bool]:
    """Compile a run filter into a predicate; an empty filter matches every run.

    Args:
        text: a filter such as ``"metrics.rmse < 0.5 and params.model = 'Ridge'"``.

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    return _compile(parse(text, RUNS), RUNS)


def compile_record_prefilter(text: str | None) -> Predicate | None:
    """A test of a run's stored record that every run matching ``text`` passes.

    It is the part of a filter that can be decided without reading any metric: the clauses of
    its top-level AND that name only params, tags and record attributes. A search asks it first
    and reads the metric summaries only of the runs it lets through. None when no clause can be
    decided that way (no filter, or every clause names a metric).

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    decidable = _top_level_clauses(text, _record_only)
    if not decidable:
        return None
    return _compile(decidable[0] if len(decidable) == 1 else And(decidable), RUN_RECORDS)


def compile_metric_prefilter(text: str | None) -> Callable[[Mapping[str, float]], bool] | None:
    """A test of a run's latest metric values that every run matching ``text`` passes.

    It is the part of a filter that can be decided on the metrics alone: the clauses of its
    top-level AND that name only metrics. A search whose filter has no clause for the record
    asks it first, and reads a run's record only when it passes. None when no clause names only
    metrics.

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    decidable = _top_level_clauses(text, _metrics_only)
    if not decidable:
        return None
    test = _compile(decidable[0] if len(decidable) == 1 else And(decidable), RUN_METRICS)
    return lambda latest: test(_LatestMetrics(latest))


class _LatestMetrics:
    """What a metric prefilter reads: ``metrics``, the latest value of each metric."""

    __slots__ = ("metrics",)

    def __init__(self, metrics: Mapping[str, float]) -> None:
        self.metrics = metrics


def _top_level_clauses(text: str | None, decidable: Callable[[Node], bool]) -> tuple[Node, ...]:
    node = parse(text, RUNS)
    clauses = () if node is None else node.items if isinstance(node, And) else (node,)
    return tuple(clause for clause in clauses if decidable(clause))


def _metrics_only(node: Node) -> bool:
    if isinstance(node, Comparison):
        return node.entity == "metric"
    return all(_metrics_only(item) for item in node.items)


def _record_only(node: Node) -> bool:
    if isinstance(node, Comparison):
        return node.entity in ("param", "tag") or (
            node.entity == "attribute" and node.key in RECORD_ATTRIBUTES
        )
    return all(_record_only(item) for item in node.items)


def filter_runs(runs: Iterable[Run], text: str | None) -> list[Run]:
    """Return the runs that match ``text``, in their given order.

    Args:
        runs: the runs to filter.
        text: a run filter; None or blank keeps every run.

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    matches = compile_filter(text)
    return [run for run in runs if matches(run)]


def compile_experiment_filter(text: str | None) -> Callable[[Experiment], bool]:
    """Compile an experiment filter (``name``, ``tags.<key>``, times) into a predicate.

    Args:
        text: a filter such as ``"name LIKE 'iris%' and tags.team = 'ml'"``.

    Raises:
        FilterSyntaxError: if the filter is not valid.
    """
    return _compile(parse(text, EXPERIMENTS), EXPERIMENTS)


def like_pattern(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a SQL LIKE pattern into a regex to use with ``fullmatch``."""
    parts: list[str] = []
    for char in pattern:
        if char == "%":
            if not parts or parts[-1] != ".*":  # "%%" matches what "%" matches
                parts.append(".*")
        else:
            parts.append("." if char == "_" else re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def _compile(node: Node | None, target: Target) -> Predicate:
    if node is None:
        return _match_all
    if isinstance(node, Comparison):
        return _compile_comparison(node, target)
    predicates = tuple(_compile(item, target) for item in node.items)
    return _all_of(predicates) if isinstance(node, And) else _any_of(predicates)


def _match_all(obj: Any) -> bool:
    return True


def _all_of(predicates: tuple[Predicate, ...]) -> Predicate:
    def all_match(obj: Any) -> bool:
        return all(predicate(obj) for predicate in predicates)

    return all_match


def _any_of(predicates: tuple[Predicate, ...]) -> Predicate:
    def any_match(obj: Any) -> bool:
        return any(predicate(obj) for predicate in predicates)

    return any_match


def _compile_comparison(node: Comparison, target: Target) -> Predicate:
    read = reader(target, node.entity, node.key)
    if node.comparator == "IS NULL":
        return lambda obj: read(obj) is None
    if node.comparator == "IS NOT NULL":
        return lambda obj: read(obj) is not None
    test = _value_test(node.comparator, node.value)

    def matches(obj: Any) -> bool:
        actual = read(obj)
        return actual is not None and test(actual)

    return matches


def _value_test(comparator: str, value: Any) -> Predicate:
    if comparator in ("LIKE", "ILIKE"):
        search = like_pattern(value, ignore_case=comparator == "ILIKE").fullmatch
        return lambda actual: search(actual) is not None
    if comparator in ("IN", "NOT IN"):
        members = frozenset(value)
        if comparator == "IN":
            return lambda actual: actual in members
        return lambda actual: actual not in members
    compare = _OPERATORS[comparator]
    return lambda actual: compare(actual, value)
