"""Search filters and order_by clauses with MLflow's grammar, for runs and experiments.

A filter is tokenized (:mod:`.tokens`), parsed by one recursive-descent parser into a tree of
:class:`Comparison`, :class:`And` and :class:`Or` (:mod:`.parser`), checked against what the
searched thing allows (:mod:`.targets`), then compiled into a predicate (:mod:`.predicates`).
Beyond MLflow, filters may use OR and parentheses (AND binds tighter).

Examples::

    metrics.rmse < 0.5 and params.model = 'Ridge'
    (tags.team = 'ml' or tags.team IS NULL) and status != 'FAILED'
    run_id IN ('a1', 'b2') and metrics.`val loss` <= 1e-3
"""

from __future__ import annotations

from runreport.search.description import describe_filter
from runreport.search.parser import (
    And,
    Comparison,
    Node,
    Or,
    OrderKey,
    parse_filter,
    parse_order_by,
)
from runreport.search.predicates import (
    compile_experiment_filter,
    compile_filter,
    compile_metric_prefilter,
    compile_record_prefilter,
    filter_runs,
)
from runreport.search.sorting import sort_experiments, sort_runs

__all__ = [
    "And",
    "Comparison",
    "Node",
    "Or",
    "OrderKey",
    "compile_experiment_filter",
    "compile_filter",
    "compile_metric_prefilter",
    "compile_record_prefilter",
    "describe_filter",
    "filter_runs",
    "parse_filter",
    "parse_order_by",
    "sort_experiments",
    "sort_runs",
]
