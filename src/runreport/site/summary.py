"""Which metric matters and which way is better: the rules the home, experiment and compare
pages share.

An experiment's primary metric is its ``runreport.primary_metric`` tag when set, else the
metric most of its runs logged (ties: alphabetical). A metric is better when lower if its name
says it is a loss or an error (``loss``, ``error``, ``rmse``...), or when the experiment tag
``runreport.primary_metric_goal`` is ``min``; otherwise higher is better.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from runreport.tracking.entities import Run

PRIMARY_METRIC_TAG = "runreport.primary_metric"
PRIMARY_GOAL_TAG = "runreport.primary_metric_goal"
_LOWER_IS_BETTER = ("loss", "error", "err", "rmse", "mse", "mae", "mape", "perplexity", "wer")


def metric_goal(key: str, override: str | None = None) -> str:
    """``"min"`` when lower values of ``key`` are better, else ``"max"``."""
    if override in ("min", "max"):
        return override
    name = key.lower()
    return "min" if any(word in name for word in _LOWER_IS_BETTER) else "max"


def primary_metric(tags: Mapping[str, str], runs: Iterable[Run]) -> str | None:
    chosen = tags.get(PRIMARY_METRIC_TAG)
    if chosen:
        return chosen
    counts = Counter(key for run in runs for key in run.data.metrics)
    if not counts:
        return None
    return min(counts, key=lambda key: (-counts[key], key))


def best_run(runs: Iterable[Run], key: str, goal: str) -> tuple[Run, float] | None:
    """The run with the best finite latest value of ``key`` (ties: the earliest listed)."""
    best: tuple[Run, float] | None = None
    for run in runs:
        value = run.data.metrics.get(key)
        if value is None or not math.isfinite(value):
            continue
        if best is None or (value < best[1] if goal == "min" else value > best[1]):
            best = (run, value)
    return best
