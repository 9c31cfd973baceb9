"""Tests of runreport.search: the filter grammar, matching, ordering and descriptions."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runreport.exceptions import FilterSyntaxError, InvalidParameterError, RunReportError
from runreport.search import (
    And,
    Comparison,
    Or,
    OrderKey,
    compile_experiment_filter,
    compile_filter,
    describe_filter,
    filter_runs,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_runs,
)
from runreport.search.parser import MAX_DEPTH
from runreport.tracking.entities import Experiment, Run, RunData, RunInfo

NAN = float("nan")


def make_run(
    run_id: str = "r1",
    *,
    metrics: dict[str, float] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    status: str = "FINISHED",
    run_name: str = "run",
    user_id: str = "ada",
    start_time: int | None = 1_000,
    end_time: int | None = 2_000,
    artifact_uri: str = "file:///runs/0/r1/artifacts",
    experiment_id: str = "0",
) -> Run:
    info = RunInfo(
        run_id=run_id,
        experiment_id=experiment_id,
        run_name=run_name,
        user_id=user_id,
        status=status,
        start_time=start_time,
        end_time=end_time,
        artifact_uri=artifact_uri,
    )
    return Run(info, RunData(metrics=metrics or {}, params=params or {}, tags=tags or {}))


def ids(runs: list[Run]) -> list[str]:
    return [run.info.run_id for run in runs]


def matches(text: str, run: Run) -> bool:
    return compile_filter(text)(run)


def syntax_error(text: str) -> FilterSyntaxError:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    return info.value


@pytest.fixture
def runs() -> list[Run]:
    return [
        make_run("a", metrics={"rmse": 0.3, "r2": 0.9}, params={"model": "Ridge"}, tags={"t": "x"}),
        make_run("b", metrics={"rmse": 0.7}, params={"model": "Lasso"}, status="FAILED"),
        make_run("c", metrics={"rmse": NAN}, params={"model": "ridge", "alpha": "0.1"}),
        make_run("d", run_name="no-metrics", start_time=5_000, end_time=None, status="RUNNING"),
    ]


# ---------------------------------------------------------------------------- parsing


def test_empty_filters_parse_to_none_and_match_everything(runs):
    for text in (None, "", "   ", "\n\t"):
        assert parse_filter(text) is None
        assert filter_runs(runs, text) == runs


def test_comparison_tree_records_entity_key_comparator_value_and_position():
    assert parse_filter("  metrics.rmse <= 0.5") == Comparison("metric", "rmse", "<=", 0.5, 2)


@pytest.mark.parametrize(
    ("prefix", "entity"),
    [
        ("metric", "metric"),
        ("metrics", "metric"),
        ("param", "param"),
        ("params", "param"),
        ("parameter", "param"),
        ("parameters", "param"),
        ("tag", "tag"),
        ("tags", "tag"),
        ("`metrics`", "metric"),
        ("`tags`", "tag"),
    ],
)
def test_entity_prefixes_and_their_aliases(prefix, entity):
    value = "1" if entity == "metric" else "'1'"
    node = parse_filter(f"{prefix}.k = {value}")
    assert isinstance(node, Comparison)
    assert (node.entity, node.key) == (entity, "k")


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("status", "status"),
        ("run_name", "run_name"),
        ("run_id", "run_id"),
        ("user_id", "user_id"),
        ("artifact_uri", "artifact_uri"),
        ("attribute.status", "status"),
        ("attributes.status", "status"),
        ("attr.status", "status"),
        ("run.status", "status"),
        ("`attributes`.status", "status"),
        ('attributes."run name"', "run_name"),
        ("attributes.`Run name`", "run_name"),
        ('attributes."Run Name"', "run_name"),
        ('"run name"', "run_name"),
    ],
)
def test_string_attributes_and_aliases(field, key):
    node = parse_filter(f"{field} = 'x'")
    assert node == Comparison("attribute", key, "=", "x", 0)


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("start_time", "start_time"),
        ("end_time", "end_time"),
        ("created", "start_time"),
        ("Created", "start_time"),
        ("attributes.created", "start_time"),
    ],
)
def test_numeric_attributes_and_aliases(field, key):
    assert parse_filter(f"{field} >= 10") == Comparison("attribute", key, ">=", 10.0, 0)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("metrics.`my metric` > 1", "my metric"),
        ('metrics."my metric" > 1', "my metric"),
        ("metrics.'my metric' > 1", "my metric"),
        ("metrics.train.loss > 1", "train.loss"),
        ("metrics.`a.b-c` > 1", "a.b-c"),
        ("metrics.1st > 1", "1st"),
        ("metrics.`a``b` > 1", "a`b"),
        ("metrics.größe > 1", "größe"),
    ],
)
def test_key_quoting_styles(text, key):
    node = parse_filter(text)
    assert isinstance(node, Comparison)
    assert node.key == key


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'Ridge'", "Ridge"),
        ('"Ridge"', "Ridge"),
        ("'it''s'", "it's"),
        ("'it\\'s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'back\\\\slash'", "back\\slash"),
        ("'C:\\path'", "C:\\path"),
        ("''", ""),
        ("'a AND b'", "a AND b"),
    ],
)
def test_string_literals_and_escapes(literal, value):
    assert parse_filter(f"params.p = {literal}") == Comparison("param", "p", "=", value, 0)


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("3", 3.0),
        ("-2", -2.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e3", 1000.0),
        ("1E-3", 0.001),
        ("-2.5e+2", -250.0),
    ],
)
def test_numbers(literal, value):
    assert parse_filter(f"metrics.m > {literal}") == Comparison("metric", "m", ">", value, 0)


def test_keywords_are_case_insensitive():
    text = "params.a like 'x' And params.b iLike 'y' oR run_id not in ('r') "
    node = parse_filter(text)
    assert isinstance(node, Or)
    first, second = node.items
    assert isinstance(first, And)
    assert [item.comparator for item in first.items] == ["LIKE", "ILIKE"]
    assert second == Comparison("attribute", "run_id", "NOT IN", ("r",), text.index("run_id"))


def test_is_null_and_in_lists_parse():
    assert parse_filter("tags.t IS NULL") == Comparison("tag", "t", "IS NULL", None, 0)
    assert parse_filter("params.p is not null").comparator == "IS NOT NULL"
    node = parse_filter("run_id IN ('a', \"b\",)")
    assert node == Comparison("attribute", "run_id", "IN", ("a", "b"), 0)


def test_and_binds_tighter_than_or():
    node = parse_filter("metrics.a > 1 or metrics.b > 1 and metrics.c > 1")
    assert isinstance(node, Or)
    assert isinstance(node.items[1], And)
    grouped = parse_filter("(metrics.a > 1 or metrics.b > 1) and metrics.c > 1")
    assert isinstance(grouped, And)
    assert isinstance(grouped.items[0], Or)


def test_chains_are_flat_and_redundant_parentheses_vanish():
    node = parse_filter("((metrics.a > 1)) and metrics.b > 1 and (metrics.c > 1)")
    assert isinstance(node, And)
    assert len(node.items) == 3
    assert all(isinstance(item, Comparison) for item in node.items)


# ---------------------------------------------------------------------------- comparators


ALLOWED = {
    "metrics.m": ["=", "!=", "<", "<=", ">", ">="],
    "params.p": ["=", "!=", "LIKE", "ILIKE"],
    "tags.t": ["=", "!=", "LIKE", "ILIKE"],
    "status": ["=", "!=", "LIKE", "ILIKE"],
    "run_id": ["=", "!=", "LIKE", "ILIKE"],
    "start_time": ["=", "!=", "<", "<=", ">", ">="],
}
REJECTED = {
    "metrics.m": ("LIKE", "1"),
    "params.p": ("<", "'1'"),
    "tags.t": (">=", "'1'"),
    "status": (">", "'1'"),
    "start_time": ("ILIKE", "1"),
}


@pytest.mark.parametrize(
    ("field", "comparator"),
    [(field, comparator) for field, comparators in ALLOWED.items() for comparator in comparators],
)
def test_allowed_comparators(field, comparator):
    value = "1" if field in ("metrics.m", "start_time") else "'1'"
    node = parse_filter(f"{field} {comparator} {value}")
    assert isinstance(node, Comparison)
    assert node.comparator == comparator


@pytest.mark.parametrize(("field", "rejected"), REJECTED.items())
def test_rejected_comparator_names_it_and_lists_the_allowed_ones(field, rejected):
    comparator, value = rejected
    text = f"{field} {comparator} {value}"
    error = syntax_error(text)
    assert error.position == len(field) + 1
    assert f"comparator {comparator!r} is not allowed" in error.reason
    assert ", ".join(ALLOWED[field]) in error.reason


def test_rejected_comparator_message_for_metrics():
    error = syntax_error("metrics.rmse LIKE 1")
    assert error.reason == (
        "comparator 'LIKE' is not allowed for metrics; use one of =, !=, <, <=, >, >="
    )


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("metrics.m IS NULL", 10),
        ("status IS NOT NULL", 7),
        ("status IN ('a')", 7),
        ("params.p NOT IN ('a')", 9),
        ("start_time IN ('1')", 11),
    ],
)
def test_null_and_list_comparators_only_where_mlflow_allows_them(text, position):
    assert syntax_error(text).position == position


@pytest.mark.parametrize(("text", "use"), [("metrics.m <> 1", "'!='"), ("metrics.m == 1", "'='")])
def test_sql_style_not_equal_and_double_equals_are_rejected_with_a_hint(text, use):
    error = syntax_error(text)
    assert error.position == 10
    assert f"use {use}" in error.reason


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("metrics.m > '1'", 12, "a number"),
        ("metrics.m > abc", 12, "a number"),
        ("params.p = 1", 11, "a quoted string"),
        ("tags.t = Ridge", 9, "a quoted string"),
        ("status = 3", 9, "a quoted string"),
        ("start_time > 'yesterday'", 13, "a number"),
        ("run_id IN ('a', 2)", 16, "a quoted string"),
        ("run_id IN 'a'", 10, "'('"),
        ("metrics.m >", 11, "a number"),
    ],
)
def test_wrong_value_type_points_at_the_value(text, position, expected):
    error = syntax_error(text)
    assert error.position == position
    assert expected in error.reason


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("foo = 'x'", 0, "attribute 'foo' is not valid"),
        ("lifecycle_stage = 'active'", 0, "attribute 'lifecycle_stage'"),
        ("experiment_id = '0'", 0, "attribute 'experiment_id'"),
        ("Metrics.m > 1", 0, "prefix 'Metrics' is not valid"),
        ("metrics.m > 1 and nope.x = 'a'", 18, "prefix 'nope'"),
        ("dataset.name = 'iris'", 0, "not supported"),
        ("datasets.digest = 'x'", 0, "not supported"),
        ("metrics. > 1", 8, "a key must follow"),
        ("metrics.`` > 1", 0, "key after 'metrics' is empty"),
        ("params.p = 'open", 11, "never closed"),
        ('params."open = 1', 7, "never closed"),
        ("metrics.`open > 1", 8, "never closed"),
        ("metrics.m > 1 # x", 14, "unexpected character '#'"),
        ("metrics.m ! 1", 10, "did you mean '!='"),
        ("metrics.m > 1x", 12, "'1x' is not a valid number"),
        ("metrics.m > 1.2.3", 12, "'1.2.3' is not a valid number"),
        ("metrics.m > 1e999", 12, "out of range"),
        ("metrics.m > 1 and", 17, "expected a field"),
        ("metrics.m > 1 metrics.n > 2", 14, "expected AND, OR"),
        ("metrics.m > 1)", 13, "no matching '('"),
        ("(metrics.m > 1", 14, "to close the '(' at position 0"),
        ("()", 1, "expected a field"),
        ("metrics.my metric > 1", 11, "quote keys that contain spaces"),
        ("NOT metrics.m > 1", 0, "NOT is only allowed"),
        ("params.p NOT LIKE 'x'", 13, "expected IN after NOT"),
        ("params.p IS 'x'", 12, "expected NULL after IS"),
        ("params.p IS NOT 'x'", 16, "expected NULL after IS NOT"),
        ("run_id IN ()", 11, "expected a quoted string"),
        ("run_id IN ('a' 'b')", 15, "expected ',' or ')'"),
        ("metrics.m 1", 10, "expected a comparator"),
        ("status = 'a' and", 16, "expected a field"),
        ("'x' = status", 0, "expected a field"),
        ("metrics.m > 1 OR OR metrics.n > 1", 17, "expected a field"),
    ],
)
def test_errors_point_at_the_offending_token(text, position, words):
    error = syntax_error(text)
    assert error.position == position
    assert words in error.reason
    assert error.text == text
    assert repr(text) in str(error)


def test_filter_syntax_error_is_part_of_the_hierarchy():
    error = syntax_error("metrics.m LIKE 1")
    assert isinstance(error, RunReportError)
    assert isinstance(error, InvalidParameterError)
    assert error.error_code == "INVALID_PARAMETER_VALUE"


def test_caret_in_message_sits_under_the_token():
    text = "metrics.rmse ~ 1"
    lines = str(syntax_error(text)).splitlines()
    assert lines[1] == f"  {text}"
    assert lines[2].index("^") - 2 == text.index("~")


@pytest.mark.parametrize("value", [3, b"metrics.m > 1", ["metrics.m > 1"]])
def test_non_string_filter_is_a_syntax_error(value):
    with pytest.raises(FilterSyntaxError):
        parse_filter(value)


def test_nesting_is_capped():
    def nested(depth: int) -> str:
        return "(" * depth + "metrics.m > 1" + ")" * depth

    assert parse_filter(nested(MAX_DEPTH)) == Comparison("metric", "m", ">", 1.0, MAX_DEPTH)
    error = syntax_error(nested(MAX_DEPTH + 1))
    assert error.position == MAX_DEPTH
    assert "deeper than" in error.reason
    with pytest.raises(FilterSyntaxError):
        parse_filter("(" * 100_000)


def test_deep_alternating_nesting_compiles_and_describes():
    text = "metrics.m > 0"
    for level in range(MAX_DEPTH):
        joiner = "or" if level % 2 else "and"
        text = f"(metrics.m > {level} {joiner} {text})"
    run = make_run(metrics={"m": 1000.0})
    assert compile_filter(text)(run) is True
    assert describe_filter(text).count("(") == MAX_DEPTH - 1


def test_deepest_filter_leaves_recursion_headroom():
    text = "metrics.m > 0"
    for level in range(MAX_DEPTH):
        text = f"(metrics.m > {level} {'or' if level % 2 else 'and'} {text})"

    def with_stack_used(frames: int) -> str:
        return with_stack_used(frames - 1) if frames else describe_filter(text)

    assert with_stack_used(400).startswith("metric m greater than 99")


def test_long_chains_do_not_recurse():
    text = " and ".join(f"metrics.m{i} >= 0" for i in range(5_000))
    run = make_run(metrics={f"m{i}": 1.0 for i in range(5_000)})
    assert compile_filter(text)(run) is True


# ---------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse < 0.5", ["a"]),
        ("metrics.rmse <= 0.7", ["a", "b"]),
        ("metrics.rmse > 0.3", ["b"]),
        ("metrics.rmse >= 0.3", ["a", "b"]),
        ("metrics.rmse = 0.3", ["a"]),
        ("metrics.rmse != 0.3", ["b", "c"]),
        ("metrics.r2 > -1", ["a"]),
    ],
)
def test_metric_comparisons_use_latest_values_and_nan_like_python(runs, text, expected):
    assert ids(filter_runs(runs, text)) == expected


def test_missing_keys_never_match_even_with_not_equal(runs):
    assert ids(filter_runs(runs, "metrics.r2 != 0.5")) == ["a"]
    assert ids(filter_runs(runs, "params.alpha != '0.2'")) == ["c"]
    assert ids(filter_runs(runs, "tags.t != 'y'")) == ["a"]


def test_is_null_matches_exactly_the_runs_missing_the_key(runs):
    assert ids(filter_runs(runs, "params.alpha IS NULL")) == ["a", "b", "d"]
    assert ids(filter_runs(runs, "params.alpha IS NOT NULL")) == ["c"]
    assert ids(filter_runs(runs, "tags.t IS NULL")) == ["b", "c", "d"]
    assert ids(filter_runs(runs, "tags.t is not null")) == ["a"]


def test_string_equality_is_case_sensitive(runs):
    assert ids(filter_runs(runs, "params.model = 'Ridge'")) == ["a"]
    assert ids(filter_runs(runs, "params.model != 'Ridge'")) == ["b", "c"]
    assert ids(filter_runs(runs, "status = 'finished'")) == []


@pytest.mark.parametrize(
    ("pattern", "value", "like", "ilike"),
    [
        ("Ridge", "Ridge", True, True),
        ("ridge", "Ridge", False, True),
        ("R%", "Ridge", True, True),
        ("r%", "Ridge", False, True),
        ("%dg%", "Ridge", True, True),
        ("%DG%", "Ridge", False, True),
        ("R_dge", "Ridge", True, True),
        ("R_ge", "Ridge", False, False),
        ("%", "", True, True),
        ("_", "", False, False),
        ("a.c", "abc", False, False),
        ("a.c", "a.c", True, True),
        ("a*", "aaa", False, False),
        ("a*", "a*", True, True),
        ("f(x)", "f(x)", True, True),
        ("[ab]", "a", False, False),
        ("a+b?", "a+b?", True, True),
        ("^x$", "^x$", True, True),
        ("a\\d", "a\\d", True, True),
        ("%%a%%", "bab", True, True),
        ("a_c", "a\nc", True, True),
        ("%x", "line\nx", True, True),
    ],
)
def test_like_and_ilike(pattern, value, like, ilike):
    run = make_run(params={"p": value})
    quoted = "'" + pattern.replace("'", "''") + "'"
    assert matches(f"params.p LIKE {quoted}", run) is like
    assert matches(f"params.p ILIKE {quoted}", run) is ilike


def test_like_on_tags_and_attributes(runs):
    assert ids(filter_runs(runs, "tags.t LIKE 'x%'")) == ["a"]
    assert ids(filter_runs(runs, "run_name LIKE 'no-%'")) == ["d"]
    assert ids(filter_runs(runs, "status ILIKE 'f%'")) == ["a", "b", "c"]
    assert ids(filter_runs(runs, "artifact_uri LIKE 'file:///runs/%'")) == ["a", "b", "c", "d"]


def test_string_attributes(runs):
    assert ids(filter_runs(runs, "status = 'FAILED'")) == ["b"]
    assert ids(filter_runs(runs, "run_name = 'no-metrics'")) == ["d"]
    assert ids(filter_runs(runs, "attributes.`Run Name` != 'run'")) == ["d"]
    assert ids(filter_runs(runs, "user_id = 'ada'")) == ["a", "b", "c", "d"]
    assert ids(filter_runs(runs, "run_id = 'c'")) == ["c"]


def test_numeric_attributes_and_running_runs_without_end_time(runs):
    assert ids(filter_runs(runs, "start_time > 1000")) == ["d"]
    assert ids(filter_runs(runs, "created >= 1000")) == ["a", "b", "c", "d"]
    assert ids(filter_runs(runs, "end_time = 2000")) == ["a", "b", "c"]
    assert ids(filter_runs(runs, "end_time != 2000")) == []
    assert ids(filter_runs(runs, "end_time < 99999")) == ["a", "b", "c"]


def test_run_id_in_and_not_in(runs):
    assert ids(filter_runs(runs, "run_id IN ('a', 'c', 'zz')")) == ["a", "c"]
    assert ids(filter_runs(runs, "run_id NOT IN ('a', 'c')")) == ["b", "d"]
    assert ids(filter_runs(runs, "run_id IN ('A')")) == []


def test_or_and_parentheses(runs):
    assert ids(filter_runs(runs, "status = 'FAILED' or status = 'RUNNING'")) == ["b", "d"]
    text = "metrics.rmse < 0.5 or params.model = 'Lasso' and status = 'FINISHED'"
    assert ids(filter_runs(runs, text)) == ["a"]
    grouped = "(metrics.rmse < 0.5 or params.model = 'Lasso') and status = 'FAILED'"
    assert ids(filter_runs(runs, grouped)) == ["b"]


def test_filter_runs_accepts_any_iterable_and_keeps_order(runs):
    reversed_runs = reversed(runs)
    assert ids(filter_runs(reversed_runs, "user_id = 'ada'")) == ["d", "c", "b", "a"]


def test_compiled_predicate_is_reusable(runs):
    predicate = compile_filter("metrics.rmse < 0.5")
    assert [predicate(run) for run in runs] == [True, False, False, False]
    assert [predicate(run) for run in runs] == [True, False, False, False]


# ---------------------------------------------------------------------------- order_by


def test_parse_order_by():
    assert parse_order_by(None) == []
    assert parse_order_by([]) == []
    assert parse_order_by(
        ["metrics.rmse DESC", "attributes.start_time ASC", "params.`a b` desc", "run_name"]
    ) == [
        OrderKey("metric", "rmse", False),
        OrderKey("attribute", "start_time", True),
        OrderKey("param", "a b", False),
        OrderKey("attribute", "run_name", True),
    ]
    assert parse_order_by(["created Desc", "tags.'k' aSc", "experiment_id"]) == [
        OrderKey("attribute", "start_time", False),
        OrderKey("tag", "k", True),
        OrderKey("attribute", "experiment_id", True),
    ]


@pytest.mark.parametrize(
    ("clause", "position", "words"),
    [
        ("", 0, "expected a field"),
        ("metrics.rmse sideways", 13, "expected ASC, DESC or the end"),
        ("metrics.rmse DESC ASC", 18, "expected ASC, DESC or the end"),
        ("metrics.a, metrics.b", 9, "expected ASC, DESC or the end"),
        ("lifecycle_stage", 0, "attribute 'lifecycle_stage' is not valid"),
        ("attributes.`run name`", 0, "attribute 'run name'"),
        ("dataset.name", 0, "not supported"),
        ("metrics.`rmse DESC", 8, "never closed"),
    ],
)
def test_invalid_order_by_clause(clause, position, words):
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_by([clause])
    assert info.value.text == clause
    assert info.value.position == position
    assert words in info.value.reason
    assert "order_by" in info.value.reason


@pytest.mark.parametrize("order_by", ["metrics.rmse", [1], ("metrics.rmse", None)])
def test_order_by_must_be_a_list_of_strings(order_by):
    with pytest.raises(FilterSyntaxError):
        parse_order_by(order_by)


def test_default_order_is_start_time_descending_then_run_id():
    runs = [
        make_run("b", start_time=1),
        make_run("x", start_time=None),
        make_run("c", start_time=3),
        make_run("a", start_time=1),
        make_run("w", start_time=None),
    ]
    assert ids(sort_runs(runs)) == ["c", "a", "b", "w", "x"]
    assert ids(sort_runs(runs, [])) == ["c", "a", "b", "w", "x"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_nan_and_missing_metrics_sort_last_in_both_directions(direction):
    runs = [
        make_run("nan", metrics={"m": NAN}, start_time=5),
        make_run("two", metrics={"m": 2.0}, start_time=4),
        make_run("none", metrics={}, start_time=3),
        make_run("one", metrics={"m": 1.0}, start_time=2),
        make_run("inf", metrics={"m": -math.inf}, start_time=1),
    ]
    ordered = ids(sort_runs(runs, [f"metrics.m {direction}"]))
    present = ["inf", "one", "two"] if direction == "ASC" else ["two", "one", "inf"]
    assert ordered == [*present, "nan", "none"]


def test_missing_params_and_attributes_sort_last():
    runs = [
        make_run("a", params={}, end_time=None, start_time=3),
        make_run("b", params={"p": "x"}, end_time=5, start_time=2),
        make_run("c", params={"p": "y"}, end_time=7, start_time=1),
    ]
    assert ids(sort_runs(runs, ["params.p DESC"])) == ["c", "b", "a"]
    assert ids(sort_runs(runs, ["end_time"])) == ["b", "c", "a"]
    assert ids(sort_runs(runs, ["end_time DESC"])) == ["c", "b", "a"]


def test_multi_key_order_is_stable():
    runs = [
        make_run("r1", params={"model": "Ridge"}, metrics={"rmse": 0.2}, start_time=1),
        make_run("r2", params={"model": "Lasso"}, metrics={"rmse": 0.2}, start_time=2),
        make_run("r3", params={"model": "Ridge"}, metrics={"rmse": 0.1}, start_time=3),
        make_run("r4", params={"model": "Lasso"}, metrics={"rmse": 0.5}, start_time=4),
        make_run("r5", params={"model": "Ridge"}, metrics={"rmse": 0.2}, start_time=5),
    ]
    assert ids(sort_runs(runs, ["params.model", "metrics.rmse DESC"])) == [
        "r4",
        "r2",
        "r5",
        "r1",
        "r3",
    ]
    # Ties on every clause keep the natural order (start_time descending).
    assert ids(sort_runs(runs, ["metrics.rmse"])) == ["r3", "r5", "r2", "r1", "r4"]


def test_sort_by_string_attributes_and_alias():
    runs = [
        make_run("a", status="RUNNING", run_name="zeta", start_time=1),
        make_run("b", status="FAILED", run_name="alpha", start_time=2),
    ]
    assert ids(sort_runs(runs, ["status"])) == ["b", "a"]
    assert ids(sort_runs(runs, ["run_name DESC"])) == ["a", "b"]
    assert ids(sort_runs(runs, ["created ASC"])) == ["a", "b"]
    assert ids(sort_runs(runs, ["run_id DESC"])) == ["b", "a"]


# ---------------------------------------------------------------------------- describe


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, "all runs"),
        (
            "metrics.r2_score > 0.8 and params.model_type = 'Ridge'",
            "metric r2_score greater than 0.8 and param model_type equals 'Ridge'",
        ),
        ("metrics.`val loss` <= 1e-3", "metric `val loss` at most 0.001"),
        ("created >= 1700000000000", "start_time at least 1700000000000"),
        ("tags.team IS NULL", "tag team is not set"),
        ("params.p IS NOT NULL", "param p is set"),
        ("run_id NOT IN ('a', 'b')", "run_id is none of 'a', 'b'"),
        ("params.p ILIKE 'it''s%'", "param p matches (ignoring case) 'it''s%'"),
        ("status != 'FAILED'", "status does not equal 'FAILED'"),
        (
            "(metrics.a < 1 or metrics.b > 2) and status = 'x' or tags.t LIKE 'y'",
            "((metric a less than 1 or metric b greater than 2) and status equals 'x') "
            "or tag t matches 'y'",
        ),
    ],
)
def test_describe_filter(text, words):
    assert describe_filter(text) == words


def test_describe_filter_rejects_invalid_filters():
    with pytest.raises(FilterSyntaxError):
        describe_filter("metrics.rmse LIKE 1")


# ---------------------------------------------------------------------------- experiments


def make_experiment(experiment_id, name, created=None, updated=None, **tags):
    return Experiment(
        experiment_id,
        name,
        f"file:///runs/{experiment_id}",
        tags=tags,
        creation_time=created,
        last_update_time=updated,
    )


@pytest.fixture
def experiments() -> list[Experiment]:
    return [
        make_experiment("1", "iris", created=10, updated=50, team="ml"),
        make_experiment("2", "Iris-big", created=30, updated=40),
        make_experiment("3", "wine", created=20, updated=None, team="ops"),
        make_experiment("4", "wine", created=None, updated=60, team="ML"),
    ]


def select(experiments: list[Experiment], text: str) -> list[str]:
    predicate = compile_experiment_filter(text)
    return [experiment.experiment_id for experiment in experiments if predicate(experiment)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ["1", "2", "3", "4"]),
        ("name = 'iris'", ["1"]),
        ("name != 'iris'", ["2", "3", "4"]),
        ("name LIKE 'I%'", ["2"]),
        ("attribute.name ILIKE 'i%'", ["1", "2"]),
        ("creation_time > 10", ["2", "3"]),
        ("creation_time <= 20", ["1", "3"]),
        ("last_update_time != 40", ["1", "4"]),
        ("tags.team = 'ml'", ["1"]),
        ("tags.team != 'ml'", ["3", "4"]),
        ("tag.team ILIKE 'ML'", ["1", "4"]),
        ("tags.team IS NULL", ["2"]),
        ("tags.team IS NOT NULL", ["1", "3", "4"]),
        ("experiment_id IN ('1', '3')", ["1", "3"]),
        ("experiment_id NOT IN ('1', '3')", ["2", "4"]),
        ("name = 'wine' and (tags.team = 'ops' or last_update_time > 55)", ["3", "4"]),
    ],
)
def test_experiment_filter(experiments, text, expected):
    assert select(experiments, text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("metrics.m > 1", "prefix 'metrics' is not valid for experiments"),
        ("status = 'x'", "attribute 'status' is not valid for experiments"),
        ("name > 'a'", "comparator '>' is not allowed for attribute 'name'"),
        ("creation_time LIKE '1%'", "comparator 'LIKE' is not allowed"),
        ("name IN ('a')", "comparator 'IN' is not allowed"),
        ("creation_time IS NULL", "comparator 'IS NULL' is not allowed"),
    ],
)
def test_experiment_filter_errors(text, words):
    with pytest.raises(FilterSyntaxError) as info:
        compile_experiment_filter(text)
    assert words in info.value.reason


def test_experiment_default_order_is_creation_time_desc_then_id(experiments):
    ordered = sort_experiments(experiments)
    assert [experiment.experiment_id for experiment in ordered] == ["2", "3", "1", "4"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["name"], ["2", "1", "4", "3"]),
        (["name DESC"], ["4", "3", "1", "2"]),
        (["name", "experiment_id"], ["2", "1", "3", "4"]),
        (["last_update_time"], ["2", "1", "4", "3"]),
        (["last_update_time DESC"], ["4", "1", "2", "3"]),
        (["experiment_id DESC"], ["4", "3", "2", "1"]),
    ],
)
def test_experiment_order_by(experiments, order_by, expected):
    ordered = sort_experiments(experiments, order_by)
    assert [experiment.experiment_id for experiment in ordered] == expected


@pytest.mark.parametrize("clause", ["tags.team", "metrics.m", "status", "name sideways"])
def test_experiment_order_by_errors(experiments, clause):
    with pytest.raises(FilterSyntaxError):
        sort_experiments(experiments, [clause])


# ---------------------------------------------------------------------------- properties

FRAGMENTS = [
    "metrics.m", "params.p", "tags.t", "status", "run_id", "start_time", "metrics.`a b`",
    'tags."k"', "dataset.name", "foo.bar", "Created", "=", "!=", "<>", "<", "<=", ">", ">=",
    "==", "!", "LIKE", "ilike", "IN", "NOT", "IS", "NULL", "AND", "or", "(", ")", ",", "'x'",
    "'it''s'", '"y"', "'%_.*('", "'", '"', "`", "1", "-2.5", "1e999", "1e-3", ".", "-", "%",
    "#", "\x00", "\u00e9", "\u200b", "\\", ";",
]  # fmt: skip
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None)


ENTRY_POINTS = (
    parse_filter,
    describe_filter,
    compile_experiment_filter,
    lambda text: parse_order_by([text]),
    lambda text: sort_experiments([], [text]),
)


def parses_or_raises_filter_syntax_error(text: str) -> None:
    for entry_point in ENTRY_POINTS:
        try:
            entry_point(text)
        except FilterSyntaxError as error:
            assert error.position is None or 0 <= error.position <= len(error.text)
            assert error.text == text


@PROPERTY_SETTINGS
@given(st.text())
def test_arbitrary_text_parses_or_raises_filter_syntax_error(text):
    parses_or_raises_filter_syntax_error(text)


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12), st.sampled_from(["", " "]))
def test_token_soup_parses_or_raises_filter_syntax_error(fragments, separator):
    parses_or_raises_filter_syntax_error(separator.join(fragments))


NUMERIC_OPS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
STRING_OPS = st.sampled_from(["=", "!=", "LIKE", "ILIKE"])
NULL_OPS = st.sampled_from(["IS NULL", "IS NOT NULL"])
NUMBER_TEXT = st.sampled_from(["0", "0.5", "-1", "1e3", "2.5"])
STRING_TEXT = st.sampled_from(["'a'", "'A'", "'%a%'", "'_'", "'a.b'", "''", '"b"', "'%'"])


def comparison_texts() -> st.SearchStrategy[str]:
    metric = st.tuples(st.sampled_from(["metrics.m", "metrics.n"]), NUMERIC_OPS, NUMBER_TEXT)
    text = st.tuples(st.sampled_from(["params.p", "tags.t", "status"]), STRING_OPS, STRING_TEXT)
    null = st.tuples(st.sampled_from(["params.p", "tags.t"]), NULL_OPS, st.just(""))
    times = st.tuples(st.sampled_from(["start_time", "end_time"]), NUMERIC_OPS, NUMBER_TEXT)
    ids_ = st.tuples(st.just("run_id"), st.sampled_from(["IN", "NOT IN"]), st.just("('a', 'b')"))
    return st.one_of(metric, text, null, times, ids_).map(" ".join)


def filter_texts(max_leaves: int = 8) -> st.SearchStrategy[str]:
    return st.recursive(
        comparison_texts(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from([" and ", " OR "]), inner).map("".join),
            inner.map(lambda text: f"({text})"),
        ),
        max_leaves=max_leaves,
    )


def make_run_pool(size: int = 60) -> list[Run]:
    """Varied runs for the properties: NaN, infinities, missing keys, odd strings, None times."""
    rng = random.Random(20240601)
    numbers = [None, NAN, math.inf, -math.inf, 0.0, 0.5, -1.0, 1e3]
    texts = [None, "a", "A", "a.b", "", "%", "xax", "b\nc"]

    def pick(options: list, key: str) -> dict:
        value = rng.choice(options)
        return {} if value is None else {key: value}

    return [
        make_run(
            rng.choice(["a", "b", "c"]),
            metrics={**pick(numbers, "m"), **pick(numbers, "n")},
            params=pick(texts, "p"),
            tags=pick(texts, "t"),
            status=rng.choice(["FINISHED", "a", "A"]),
            start_time=rng.choice([None, -5, 0, 5]),
            end_time=rng.choice([None, -5, 0, 5]),
        )
        for _ in range(size)
    ]


RUN_POOL = make_run_pool()
RUN_LISTS = st.lists(st.sampled_from(RUN_POOL), max_size=8)


@PROPERTY_SETTINGS
@given(filter_texts(), RUN_LISTS)
def test_valid_filters_compile_and_never_raise_on_runs(text, runs):
    predicate = compile_filter(text)
    assert all(isinstance(predicate(run), bool) for run in runs)
    assert describe_filter(text)


@PROPERTY_SETTINGS
@given(filter_texts(max_leaves=4), filter_texts(max_leaves=4), RUN_LISTS)
def test_or_is_union_and_and_is_intersection(left, right, runs):
    first, second = compile_filter(left), compile_filter(right)
    either = compile_filter(f"({left}) or ({right})")
    both = compile_filter(f"({left}) and ({right})")
    for run in runs:
        assert either(run) == (first(run) or second(run))
        assert both(run) == (first(run) and second(run))


@PROPERTY_SETTINGS
@given(
    RUN_LISTS,
    st.lists(
        st.tuples(
            st.sampled_from(["metrics.m", "params.p", "tags.t", "end_time", "status"]),
            st.sampled_from(["", " ASC", " desc"]),
        ).map("".join),
        max_size=3,
    ),
)
def test_sorting_keeps_every_run_and_puts_missing_values_last(runs, order_by):
    ordered = sort_runs(runs, order_by)
    assert sorted(map(id, ordered)) == sorted(map(id, runs))
    if order_by and order_by[0].startswith("metrics.m"):
        values = [run.data.metrics.get("m") for run in ordered]
        missing = [value is None or math.isnan(value) for value in values]
        assert missing == sorted(missing)
