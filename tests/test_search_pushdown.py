"""Filters pushed down to run records: a search reads metrics only of the runs that can match.

A search first asks the part of its filter that names no metric (params, tags, record
attributes, lifecycle stage) about each run's ``run.json``, and reads ``summary.json`` only for
the runs that pass. These tests check that the shortcut never changes an answer, and that the
cache entries it leaves behind (records without rows) never serve stale or missing metrics.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import runreport
from runreport import Client, ViewType
from runreport.search import compile_filter, compile_metric_prefilter, compile_record_prefilter
from runreport.store import cache
from runreport.store import format as fmt
from runreport.store.parse import parse_run
from runreport.store.reader import scan_runs

# ------------------------------------------------------------------ what can be pushed down


def record(**fields: object) -> fmt.RunRecord:
    base: dict[str, object] = {
        "run_id": "r1",
        "experiment_id": "0",
        "run_name": "bold-fox-1",
        "status": "FINISHED",
        "start_time": 1_000,
        "end_time": 2_000,
        "user_id": "ada",
        "params": {"model": "Ridge"},
        "tags": {"team": "ml"},
    }
    base.update(fields)
    return fmt.RunRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["", "   ", "metrics.rmse < 1", "metrics.a < 1 OR params.model = 'Ridge'"]
)
def test_nothing_is_pushed_down_when_every_clause_needs_metrics(text: str) -> None:
    assert compile_record_prefilter(text) is None


def test_artifact_uri_is_not_decided_on_the_record() -> None:
    # The artifact URI depends on where the runs are read from, not on run.json.
    assert compile_record_prefilter("artifact_uri LIKE '%x%'") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.model = 'Ridge'", True),
        ("params.model = 'Lasso'", False),
        ("params.alpha IS NULL", True),
        ("tags.team = 'ml' AND metrics.rmse < 0.1", True),  # the metric clause is left out
        ("tags.team = 'other' AND metrics.rmse < 0.1", False),
        ("tags.`mlflow.runName` = 'bold-fox-1'", True),  # derived from the record's meta
        ("run_name LIKE 'bold%' AND status = 'FINISHED'", True),
        ("attributes.start_time > 1500", False),
        ("run_id IN ('r1', 'r2')", True),
        ("(params.model = 'Lasso' OR tags.team = 'ml') AND metrics.x > 1", True),
        ("(params.model = 'Lasso' OR user_id = 'bob') AND metrics.x > 1", False),
    ],
)
def test_clauses_naming_only_record_fields_are_decided_on_the_record(
    text: str, expected: bool
) -> None:
    prefilter = compile_record_prefilter(text)
    assert prefilter is not None
    assert prefilter(record()) is expected


@pytest.mark.parametrize(
    "text", ["", "params.p = 'a'", "metrics.a < 1 OR params.model = 'Ridge'", "status = 'x'"]
)
def test_no_metric_prefilter_without_a_clause_on_metrics_alone(text: str) -> None:
    assert compile_metric_prefilter(text) is None


@pytest.mark.parametrize(
    ("text", "latest", "expected"),
    [
        ("metrics.rmse < 0.5", {"rmse": 0.3}, True),
        ("metrics.rmse < 0.5", {"rmse": 0.7}, False),
        ("metrics.rmse < 0.5", {}, False),  # a missing metric never matches
        ("metrics.rmse < 0.5 AND params.p = 'a'", {"rmse": 0.3}, True),  # the param is left out
        ("(metrics.a > 1 OR metrics.b > 1) AND tags.t = 'x'", {"b": 2.0}, True),
        ("metrics.a != 1", {"a": float("nan")}, True),  # NaN compares like a Python float
    ],
)
def test_clauses_naming_only_metrics_are_decided_on_the_latest_values(
    text: str, latest: dict[str, float], expected: bool
) -> None:
    prefilter = compile_metric_prefilter(text)
    assert prefilter is not None
    assert prefilter(latest) is expected


# ------------------------------------------------------------------ answers never change

PARAM_VALUES = ["a", "b", "B", "a%"]
TAG_VALUES = ["x", "y"]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[runreport.Run]]:
    """Twenty runs with a spread of params, tags, metrics, statuses, and two deleted."""
    root = tmp_path_factory.mktemp("pushdown") / "runs"
    client = Client(str(root))
    exp = client.create_experiment("pushdown")
    for i in range(20):
        run_id = client.create_run(exp, run_name=f"run-{i}", start_time=1_000 + i).info.run_id
        if i % 5:
            client.log_param(run_id, "p", PARAM_VALUES[i % 4])
        if i % 3:
            client.set_tag(run_id, "t", TAG_VALUES[i % 2])
        if i % 4:
            client.log_metric(run_id, "m", i / 10, timestamp=0, step=0)
        if i % 7 == 0:
            client.log_metric(run_id, "m", float("nan"), timestamp=0, step=1)
        client.set_terminated(run_id, "FAILED" if i % 6 == 0 else "FINISHED")
        if i in (4, 13):
            client.delete_run(run_id)
    every = client.search_runs([exp], run_view_type=ViewType.ALL, max_results=100)
    return root, exp, list(every)


CLAUSES = st.one_of(
    st.builds(
        "metrics.m {} {}".format,
        st.sampled_from(["<", ">", "=", "!=", "<=", ">="]),
        st.sampled_from(["0", "0.5", "1.2", "2"]),
    ),
    st.builds(
        "params.p {} '{}'".format,
        st.sampled_from(["=", "!=", "LIKE", "ILIKE"]),
        st.sampled_from([*PARAM_VALUES, "%", "_"]),
    ),
    st.sampled_from(["params.p IS NULL", "params.p IS NOT NULL", "tags.t IS NULL"]),
    st.builds("tags.t {} '{}'".format, st.sampled_from(["=", "!="]), st.sampled_from(TAG_VALUES)),
    st.sampled_from(
        [
            "status = 'FAILED'",
            "status != 'FAILED'",
            "run_name LIKE 'run-1%'",
            "attributes.start_time >= 1010",
            "artifact_uri LIKE '%artifacts'",
        ]
    ),
)


def filters() -> st.SearchStrategy[str]:
    return st.recursive(
        CLAUSES,
        lambda inner: st.builds(
            "({}) {} ({})".format, inner, st.sampled_from(["AND", "OR"]), inner
        ),
        max_leaves=5,
    )


@settings(max_examples=150, deadline=None)
@given(text=filters(), view=st.sampled_from([ViewType.ACTIVE_ONLY, ViewType.DELETED_ONLY]))
def test_a_pushed_down_search_finds_exactly_what_the_whole_filter_finds(
    logged: tuple[Path, str, list[runreport.Run]], text: str, view: int
) -> None:
    root, exp, every = logged
    stages = ViewType.lifecycle_stages(view)
    whole = compile_filter(text)
    expected = {r.info.run_id for r in every if r.info.lifecycle_stage in stages and whole(r)}
    cache.clear()  # each example starts from the cache file (or nothing), as a new process does
    found = Client(str(root)).search_runs([exp], text, run_view_type=view, max_results=100)
    assert {r.info.run_id for r in found} == expected
    by_id = {r.info.run_id: r for r in every}
    for run in found:  # and the runs that are returned carry all of their metrics
        assert run.data.metrics.keys() == by_id[run.info.run_id].data.metrics.keys()


def test_the_record_prefilter_never_refuses_a_matching_run(
    logged: tuple[Path, str, list[runreport.Run]],
) -> None:
    root, _, every = logged
    for text in ["params.p = 'a' AND metrics.m > 0", "(tags.t = 'x' OR status = 'FAILED')"]:
        prefilter = compile_record_prefilter(text)
        assert prefilter is not None
        for run in filter(compile_filter(text), every):
            run_dir = root / run.info.experiment_id / run.info.run_id
            assert prefilter(parse_run(run_dir)[1])


# ------------------------------------------------------------------ records without rows


@pytest.fixture
def settled(runs_root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Client, str]:
    monkeypatch.setattr(cache, "STABLE_AFTER_NS", 0)  # runs count as settled at once
    cache.clear()
    client = Client(str(runs_root))
    exp = client.create_experiment("e")
    for i in range(4):
        run_id = client.create_run(exp, run_name=f"r{i}").info.run_id
        client.log_param(run_id, "p", str(i % 2))
        client.log_metric(run_id, "m", float(i), timestamp=0, step=0)
        client.set_terminated(run_id)
    yield client, exp
    cache.clear()


def test_records_ruled_out_are_cached_without_rows_and_read_whole_when_needed(
    settled: tuple[Client, str], runs_root: Path
) -> None:
    client, exp = settled
    assert len(client.search_runs([exp], "params.p = '0'")) == 2
    cache.save_all()
    saved = json.loads(next((runs_root / cache.CACHE_DIR).glob("*.json")).read_text())
    rows = [entry[2] for entry in saved["runs"].values()]
    assert sum(row is None for row in rows) == 2  # the two runs with p = 1: record only
    for fresh in (False, True):
        if fresh:
            cache.clear()  # as a new process: entries come from the file
        found = client.search_runs([exp], "metrics.m >= 0", order_by=["metrics.m"])
        assert [r.data.metrics["m"] for r in found] == [0.0, 1.0, 2.0, 3.0]


def test_a_run_ruled_out_then_changed_shows_its_new_metrics(settled: tuple[Client, str]) -> None:
    client, exp = settled
    [ruled_out, _] = client.search_runs([exp], "params.p = '1'")
    client.search_runs([exp], "params.p = '0'")  # caches the p = 1 runs without rows
    time.sleep(0.01)
    client.log_metric(ruled_out.info.run_id, "m", 42.0, timestamp=1, step=1)
    found = client.search_runs([exp], "metrics.m = 42")
    assert [r.info.run_id for r in found] == [ruled_out.info.run_id]


def test_a_metric_only_filter_reads_records_only_of_runs_that_pass(
    settled: tuple[Client, str], runs_root: Path
) -> None:
    client, exp = settled
    found = client.search_runs([exp], "metrics.m >= 2", order_by=["metrics.m"])
    assert [r.data.metrics["m"] for r in found] == [2.0, 3.0]
    cache.save_all()
    saved = json.loads(next((runs_root / cache.CACHE_DIR).glob("*.json")).read_text())
    records = [entry[1] for entry in saved["runs"].values()]
    assert sum(record is None for record in records) == 2  # m = 0 and 1: their rows only
    for fresh in (False, True):
        if fresh:
            cache.clear()
        assert len(client.search_runs([exp], "params.p = '0'")) == 2  # read whole when needed
        assert len(client.search_runs([exp], "metrics.m < 1")) == 1


def test_a_summary_behind_its_history_is_never_trusted_alone(
    settled: tuple[Client, str], runs_root: Path
) -> None:
    """A writer that died between appending and summarising leaves the summary behind: a run
    still RUNNING counts the rest of its history, so its summary cannot decide alone."""
    client, exp = settled
    run = client.create_run(exp)
    client.log_metric(run.info.run_id, "m", 0.0, timestamp=0, step=0, synchronous=True)
    assert not client.search_runs([exp], "metrics.m > 40")
    history = runs_root / exp / run.info.run_id / fmt.METRICS_FILE
    with open(history, "a", encoding="utf-8") as handle:
        handle.write(fmt.format_metric_line("m", 1, 1, 42.0))  # appended, never summarised
    found = client.search_runs([exp], "metrics.m > 40")
    assert [r.info.run_id for r in found] == [run.info.run_id]
    assert found[0].data.metrics["m"] == 42.0


def test_deleted_runs_are_ruled_out_on_their_record(settled: tuple[Client, str]) -> None:
    client, exp = settled
    gone = client.search_runs([exp], "params.p = '0'")[0].info.run_id
    client.delete_run(gone)
    assert gone not in {r.info.run_id for r in client.search_runs([exp])}
    deleted = client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [gone]
    assert deleted[0].data.metrics  # read whole when it is wanted


def test_scan_without_a_filter_still_reports_every_bad_run(runs_root: Path) -> None:
    runreport.set_experiment("e")
    with runreport.start_run() as run:
        runreport.log_metric("m", 1.0)
    summary = Path(run.info.artifact_uri.removeprefix("file://")).parent / fmt.SUMMARY_FILE
    summary.write_text("{not json")
    runs, skipped = scan_runs(runs_root)
    assert not runs and len(skipped) == 1 and "summary.json" in skipped[0].reason
