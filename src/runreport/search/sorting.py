"""Ordering runs and experiments by order_by clauses.

Runs start in their natural order (start_time descending, then run_id ascending), then one
stable sort per clause, last clause first. Unlike MLflow, a missing value or NaN sorts last in
both directions. Experiments follow MLflow's ``search_experiments``: ``creation_time DESC,
experiment_id ASC`` by default, with ``experiment_id DESC`` as the final tie-breaker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from runreport.search.parser import OrderKey, parse_order
from runreport.search.targets import EXPERIMENTS, RUNS, Target, reader
from runreport.tracking.entities import Experiment, Run

T = TypeVar("T")

DEFAULT_EXPERIMENT_ORDER = ("creation_time DESC", "experiment_id ASC")
_EXPERIMENT_TIE_BREAKER = OrderKey("attribute", "experiment_id", ascending=False)


def sort_runs(runs: Iterable[Run], order_by: list[str] | None = None) -> list[Run]:
    """Return the runs in natural order, then ordered by each clause of ``order_by``.

    Args:
        runs: the runs to sort.
        order_by: clauses such as ``["metrics.rmse ASC", "params.model DESC"]``; the first
            clause is the primary key. Missing values and NaN always sort last.

    Raises:
        FilterSyntaxError: if a clause is not valid.
    """
    keys = parse_order(order_by, RUNS)
    return _apply_order(sorted(runs, key=_natural_key), keys, RUNS)


def _natural_key(run: Run) -> tuple[bool, int, str]:
    """start_time descending (a run without one last), then run_id ascending: one sort."""
    start = run.info.start_time
    return (start is None, -start if start is not None else 0, run.info.run_id)


def sort_experiments(
    experiments: Iterable[Experiment], order_by: list[str] | None = None
) -> list[Experiment]:
    """Return the experiments ordered like MLflow's ``search_experiments``.

    Args:
        experiments: the experiments to sort.
        order_by: clauses on ``name``, ``experiment_id``, ``creation_time`` or
            ``last_update_time``; defaults to ``creation_time DESC, experiment_id ASC``.

    Raises:
        FilterSyntaxError: if a clause is not valid.
    """
    keys = parse_order(order_by or list(DEFAULT_EXPERIMENT_ORDER), EXPERIMENTS)
    if not any(key.key == "experiment_id" for key in keys):
        keys.append(_EXPERIMENT_TIE_BREAKER)
    return _apply_order(list(experiments), keys, EXPERIMENTS)


def _apply_order(items: list[T], keys: list[OrderKey], target: Target) -> list[T]:
    for key in reversed(keys):
        items = _stable_sort(items, reader(target, key.entity, key.key), key.ascending)
    return items


def _stable_sort(items: list[T], read: Callable[[T], Any], ascending: bool) -> list[T]:
    """Sort by ``read(item)``, keeping ties in place and missing or NaN values last."""
    present: list[tuple[Any, T]] = []
    missing: list[T] = []
    for item in items:
        value = read(item)
        if _is_missing(value):
            missing.append(item)
        else:
            present.append((value, item))
    present.sort(key=_first, reverse=not ascending)
    return [item for _, item in present] + missing


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
