"""Promise 7, limits: stated in docs/limits.md, enforced with clear errors when logging,
tolerated when reading folders that were written by other means."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import runreport
from runreport.exceptions import InvalidParameterError
from runreport.registry import yamlfile
from runreport.site import artifacts as site_artifacts
from runreport.site import paths
from runreport.site.build import BuildOptions, build_site
from runreport.site.downsample import MAX_POINTS
from runreport.store import format as fmt
from runreport.store import mlflow_files, parse, reader
from runreport.tracking import validation as v
from runreport.tracking.buffer import MAX_PENDING
from runreport.tracking.entities import Metric, Param, RunTag
from tests.test_site_support import js_data

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits.md"
INT64_MAX = 2**63 - 1

Call = Callable[[runreport.Client, str], object]


def _params(client: runreport.Client, run_id: str, count: int, prefix: str = "p") -> None:
    runreport.log_params({f"{prefix}{i}": i for i in range(count)}, run_id=run_id)


def _tags(client: runreport.Client, run_id: str, count: int) -> None:
    have = len(parse.read_run_record(client.run_dir(run_id)).tags)  # stored tags count
    items = [RunTag(f"t{i}", i) for i in range(count - have)]
    for start in range(0, len(items), v.MAX_TAGS_PER_BATCH):
        client.log_batch(run_id, tags=items[start : start + v.MAX_TAGS_PER_BATCH])


def _too_many_params(client: runreport.Client, run_id: str) -> None:
    _params(client, run_id, v.MAX_PARAMS_PER_RUN)
    client.log_param(run_id, "one_too_many", 1)


def _too_many_tags(client: runreport.Client, run_id: str) -> None:
    _tags(client, run_id, v.MAX_TAGS_PER_RUN)
    client.set_tag(run_id, "one_too_many", 1)


# (what is refused, the call, fragments the message must hold: the value's name and the limit)
REFUSED: dict[str, tuple[Call, tuple[str, ...]]] = {
    "param key": (lambda c, r: c.log_param(r, "k" * 251, 1), ("'kkkk", "251", "250")),
    "tag key": (lambda c, r: c.set_tag(r, "k" * 251, 1), ("'kkkk", "251", "250")),
    "metric key": (lambda c, r: c.log_metric(r, "k" * 251, 1.0), ("'kkkk", "251", "250")),
    "fluent metric key": (
        lambda c, r: runreport.log_metric("k" * 251, 1.0, run_id=r),
        ("'kkkk", "251", "250"),
    ),
    "param value": (lambda c, r: c.log_param(r, "lr", "x" * 6001), ("'lr'", "6001", "6000")),
    "tag value": (lambda c, r: c.set_tag(r, "note", "x" * 8001), ("'note'", "8001", "8000")),
    "experiment name": (
        lambda c, r: c.create_experiment("e" * 501),
        ("'eeee", "501", "500"),
    ),
    "experiment tag value": (
        lambda c, r: c.set_experiment_tag("0", "note", "x" * 8001),
        ("'note'", "8000"),
    ),
    "run name": (lambda c, r: c.update_run(r, name="n" * 251), ("'nnnn", "251", "250")),
    "new run name": (
        lambda c, r: c.create_run("0", run_name="n" * 251),
        ("'nnnn", "251", "250"),
    ),
    "description": (
        lambda c, r: c.set_tag(r, fmt.TAG_DESCRIPTION, "d" * 8001),
        (fmt.TAG_DESCRIPTION, "8000"),
    ),
    "params per batch": (
        lambda c, r: c.log_batch(r, params=[Param(f"p{i}", i) for i in range(101)]),
        ("101 params", "100"),
    ),
    "tags per batch": (
        lambda c, r: c.log_batch(r, tags=[RunTag(f"t{i}", i) for i in range(101)]),
        ("101 tags", "100"),
    ),
    "metrics per batch": (
        lambda c, r: c.log_batch(r, metrics=[Metric("m", 1.0, 0, i) for i in range(1001)]),
        ("1001 metrics", "1000"),
    ),
    "params per run": (_too_many_params, ("'one_too_many'", "1,000 params per run")),
    "tags per run": (_too_many_tags, ("'one_too_many'", "1,000 tags per run")),
    "params per run, fluent": (
        lambda c, r: _params(c, r, v.MAX_PARAMS_PER_RUN + 1),
        ("'p0'", "1000 more", "1,000 params per run"),
    ),
    "tags of a new run": (
        lambda c, r: c.create_run("0", tags={f"t{i}": i for i in range(1001)}),
        ("1001 tags", "1,000 tags per run"),
    ),
    "step": (lambda c, r: c.log_metric(r, "m", 1.0, step=2**63), ("'m'", str(INT64_MAX))),
    "fluent step": (
        lambda c, r: runreport.log_metric("m", 1.0, step=-(2**63) - 1, run_id=r),
        ("'m'", str(INT64_MAX)),
    ),
    "timestamp": (
        lambda c, r: c.log_metric(r, "m", 1.0, timestamp=2**64),
        ("'m'", "timestamp", str(INT64_MAX)),
    ),
    "start time": (
        lambda c, r: c.create_run("0", start_time=2**62),
        ("start_time", str(fmt.MAX_TIME_MS)),
    ),
    "end time": (
        lambda c, r: c.set_terminated(r, end_time=-1),
        ("end_time", "-1", str(fmt.MAX_TIME_MS)),
    ),
    "param value not UTF-8": (
        lambda c, r: c.log_param(r, "p", "a\ud800b"),
        ("'p'", "surrogate"),
    ),
    "tag value not UTF-8": (lambda c, r: c.set_tag(r, "t", "\udfff"), ("'t'", "surrogate")),
    "run name not UTF-8": (
        lambda c, r: c.create_run("0", run_name="r\ud800"),
        ("run name", "surrogate"),
    ),
    "experiment name not UTF-8": (
        lambda c, r: c.create_experiment("e\ud800"),
        ("experiment name", "surrogate"),
    ),
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_a_value_past_a_limit_is_refused_naming_it_and_the_limit(
    runs_root: Path, what: str
) -> None:
    client = runreport.Client()
    run_id = client.create_run(client.get_or_create_experiment("Default").experiment_id)
    run_id = run_id.info.run_id
    call, fragments = REFUSED[what]
    with pytest.raises(InvalidParameterError) as caught:
        call(client, run_id)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # nothing half-done was left: the refused value is not stored, no stray run folder appeared
    run = client.get_run(run_id)
    assert "one_too_many" not in run.data.params and "one_too_many" not in run.data.tags
    assert [r.info.run_id for r in client.search_runs(["0"])] == [run_id]
    assert not list((runs_root / "0").glob(".*"))


def test_values_at_the_limits_are_accepted_and_read_back_exactly(runs_root: Path) -> None:
    client = runreport.Client()
    exp_id = client.create_experiment("e" * v.MAX_EXPERIMENT_NAME_LENGTH)
    run_id = client.create_run(exp_id, run_name="n" * v.MAX_RUN_NAME_LENGTH).info.run_id
    key = "k" * v.MAX_KEY_LENGTH
    client.log_param(run_id, key, "p" * v.MAX_PARAM_VALUE_LENGTH)
    client.set_tag(run_id, key, "t" * v.MAX_TAG_VALUE_LENGTH)
    client.log_metric(run_id, key, 1.5, timestamp=INT64_MAX, step=INT64_MAX)
    client.log_metric(run_id, key, 2.5, timestamp=-(2**63), step=-(2**63), synchronous=True)
    client.log_batch(run_id, params=[Param(f"p{i}", i) for i in range(v.MAX_PARAMS_PER_BATCH)])
    _params(client, run_id, v.MAX_PARAMS_PER_RUN - v.MAX_PARAMS_PER_BATCH - 1, prefix="q")
    _tags(client, run_id, v.MAX_TAGS_PER_RUN)
    client.log_param(run_id, "p0", 0)  # logging a param again with its value is not new
    client.set_tag(run_id, "t0", "changed")  # changing a tag adds none
    run = client.get_run(run_id)
    assert len(run.data.params) == v.MAX_PARAMS_PER_RUN
    assert run.info.run_name == "n" * v.MAX_RUN_NAME_LENGTH
    assert run.data.params[key] == "p" * v.MAX_PARAM_VALUE_LENGTH
    assert run.data.tags[key] == "t" * v.MAX_TAG_VALUE_LENGTH
    assert run.data.metric_summaries[key].latest.step == INT64_MAX
    history = client.get_metric_history(run_id, key)
    assert [(m.step, m.timestamp, m.value) for m in history] == [
        (INT64_MAX, INT64_MAX, 1.5),
        (-(2**63), -(2**63), 2.5),
    ]


def test_fluent_batches_are_checked_whole_before_the_first_is_written(runs_root: Path) -> None:
    with runreport.start_run() as run:
        params = {f"p{i}": i for i in range(150)}
        params["bad key!"] = 1  # in the second batch
        with pytest.raises(InvalidParameterError, match="bad key!"):
            runreport.log_params(params)
        tags = {f"t{i}": "x" for i in range(150)}
        tags["long"] = "x" * (v.MAX_TAG_VALUE_LENGTH + 1)
        with pytest.raises(InvalidParameterError, match="'long'"):
            runreport.set_tags(tags)
        record = runreport.get_run(run.info.run_id)
        assert record.data.params == {}
        assert not [t for t in record.data.tags if t.startswith("t")]


# ---------------------------------------------------------------- the document


def _doc_rows() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and not set(cells[0]) <= set("-: "):
            rows[cells[0]] = " | ".join(cells[1:])
    return rows


def _kb(size: int) -> str:
    return f"{size // 1024:,} KB" if size < 1024 * 1024 else f"{size // (1024 * 1024):,} MB"


STATED = {
    "Param, tag and metric key": f"{v.MAX_KEY_LENGTH:,} characters",
    "Param value": f"{v.MAX_PARAM_VALUE_LENGTH:,} characters",
    "Tag value": f"{v.MAX_TAG_VALUE_LENGTH:,} characters",
    "Experiment name": f"{v.MAX_EXPERIMENT_NAME_LENGTH:,} characters",
    "Run name": f"{v.MAX_RUN_NAME_LENGTH:,} characters",
    "Params per batch": f"{v.MAX_PARAMS_PER_BATCH:,}",
    "Tags per batch": f"{v.MAX_TAGS_PER_BATCH:,}",
    "Metrics per batch": f"{v.MAX_METRICS_PER_BATCH:,}",
    "Params per run": f"{v.MAX_PARAMS_PER_RUN:,}",
    "Tags per run": f"{v.MAX_TAGS_PER_RUN:,}",
    "Step": f"{INT64_MAX:,}",
    "Metric timestamp": f"{INT64_MAX:,}",
    "Run start and end time": f"{fmt.MAX_TIME_MS:,}",
    "Buffered points": f"{MAX_PENDING:,}",
    "Points drawn per chart": f"{MAX_POINTS:,}",
    "Text preview": _kb(site_artifacts.PREVIEW_BYTES),
    "Preview budget per run page": _kb(site_artifacts.PAGE_PREVIEW_BUDGET),
    "Table preview": f"{site_artifacts.TABLE_ROWS} rows",
    "Published artifact": _kb(site_artifacts.MAX_PUBLISHED_BYTES),
    "Artifacts listed per run": f"{site_artifacts.MAX_ENTRIES:,}",
    "Run and experiment record": _kb(fmt.MAX_RECORD_BYTES),
    "Metric history": _kb(fmt.MAX_HISTORY_BYTES),
    "Registry and config file": _kb(yamlfile.MAX_BYTES),
    "MLflow `meta.yaml`": _kb(mlflow_files.MAX_META_BYTES),
}


def test_the_limits_document_states_every_limit_with_the_enforced_number() -> None:
    rows = _doc_rows()
    for label, number in STATED.items():
        assert label in rows, f"docs/limits.md has no row {label!r}"
        assert re.search(rf"(?<![\d,]){re.escape(number)}(?![\d,])", rows[label]), (
            f"docs/limits.md says {rows[label]!r} for {label!r}; the code enforces {number}"
        )


# ---------------------------------------------------------------- tolerated when reading


def _hand_written_run(root: Path) -> tuple[str, str, dict[str, str]]:
    """An experiment and a run written without runreport's writer, past every limit."""
    exp_id, run_id = "123456789012345678", "0123456789abcdef0123456789abcdef"
    exp_dir = root / exp_id
    exp_dir.mkdir(parents=True)
    exp_name = "E" * 5000
    (exp_dir / fmt.EXPERIMENT_FILE).write_text(
        fmt.ExperimentRecord(exp_id, exp_name, tags={"k" * 1000: "v" * 50_000}).to_json()
    )
    params = {f"p{i}": str(i) for i in range(v.MAX_PARAMS_PER_RUN + 500)}
    params["K" * 1000] = "V" * 60_000
    tags = {f"t{i}": str(i) for i in range(v.MAX_TAGS_PER_RUN + 500)}
    tags["T" * 1000] = "W" * 200_000
    record = fmt.RunRecord(
        run_id,
        exp_id,
        "R" * 5000,
        "FINISHED",
        1_700_000_000_000,
        1_700_000_100_000,
        "u" * 1000,
        params=params,
        tags=tags,
        description="D" * 50_000,
    )
    run_dir = exp_dir / run_id
    (run_dir / fmt.ARTIFACTS_DIR).mkdir(parents=True)
    (run_dir / fmt.RUN_FILE).write_text(record.to_json())
    long_metric = "M" * 1000
    lines = [fmt.format_metric_line(long_metric, 1_700_000_000_000 + s, s, s / 2) for s in range(5)]
    lines += [fmt.format_metric_line(f"m{i}", 1_700_000_000_000, 0, 1.0) for i in range(200)]
    data = "".join(lines).encode()
    (run_dir / fmt.METRICS_FILE).write_bytes(data)
    summary = fmt.Summary()
    summary.covered_bytes = summary.add_bytes(data)
    (run_dir / fmt.SUMMARY_FILE).write_text(summary.to_json())
    (run_dir / fmt.ARTIFACTS_DIR / "notes.txt").write_text("N" * 100_000)
    return exp_id, run_id, params


def test_a_folder_past_every_limit_still_reads_searches_and_builds(
    runs_root: Path, tmp_path: Path
) -> None:
    exp_id, run_id, params = _hand_written_run(runs_root)
    long_key, long_metric = "K" * 1000, "M" * 1000
    run = reader.read_run(runs_root / exp_id / run_id)
    assert run.data.params == params and len(run.data.tags) > v.MAX_TAGS_PER_RUN
    assert run.data.metric_summaries[long_metric].count == 5
    client = runreport.Client()
    assert client.get_run(run_id).data.params[long_key] == "V" * 60_000
    assert client.get_experiment(exp_id).name == "E" * 5000
    for query in (
        f"params.`{long_key}` = '{'V' * 60_000}'",
        f"metrics.`{long_metric}` = 2",
        f"tags.`{'T' * 1000}` LIKE 'WWW%'",
        f"attributes.run_name = '{'R' * 5000}'",
    ):
        assert [r.info.run_id for r in client.search_runs([exp_id], query)] == [run_id], query
    assert [a.path for a in client.list_artifacts(run_id)] == ["notes.txt"]

    site = tmp_path / "site"
    report = build_site(BuildOptions(runs_dirs=[runs_root], output=site))
    assert report.problems == [] and report.runs == 1
    data = js_data(site / paths.run_data(run_id))
    assert data["params"][long_key] == "V" * 60_000
    assert data["metrics"][long_metric]["last"] == 2.0
    assert len(data["history"]) == 201
    assert (site / paths.run_page(run_id)).is_file()

    # the next writer keeps the run readable, and enforces the limits on what it adds
    client.set_tag(run_id, "t0", "changed")  # an existing tag: nothing is added
    client.log_metric(run_id, "m0", 9.0, step=5, synchronous=True)
    with pytest.raises(InvalidParameterError, match="params per run"):
        client.log_param(run_id, "new", 1)
    with pytest.raises(InvalidParameterError, match="1000 characters; at most 250"):
        client.log_metric(run_id, long_metric, 9.0, step=5)
    run = client.get_run(run_id)
    assert run.data.tags["t0"] == "changed" and run.data.metric_summaries["m0"].count == 2
    assert run.data.params == params


def _run_with_history(root: Path, lines: str, start_time: int = 1_700_000_000_000) -> str:
    exp_id, run_id = "123", "0" * 31 + "1"
    (root / exp_id / run_id / fmt.ARTIFACTS_DIR).mkdir(parents=True)
    (root / exp_id / fmt.EXPERIMENT_FILE).write_text(fmt.ExperimentRecord(exp_id, "e").to_json())
    record = fmt.RunRecord(run_id, exp_id, "r", "FINISHED", start_time, start_time, "u")
    (root / exp_id / run_id / fmt.RUN_FILE).write_text(record.to_json())
    (root / exp_id / run_id / fmt.METRICS_FILE).write_text(lines)
    summary = fmt.Summary()
    summary.covered_bytes = summary.add_bytes(lines.encode())
    (root / exp_id / run_id / fmt.SUMMARY_FILE).write_text(summary.to_json())
    return run_id


def _builds_or_reports(root: Path, site: Path, run_id: str) -> None:
    report = build_site(BuildOptions(runs_dirs=[root], output=site))
    shown = (site / paths.run_page(run_id)).is_file()
    assert shown or [p for p in report.problems if run_id in p.path]


def test_a_step_past_int64_written_by_hand_does_not_break_the_build(
    runs_root: Path, tmp_path: Path
) -> None:
    lines = fmt.format_metric_line("m", 1_700_000_000_000, 2**70, 1.0)
    lines += fmt.format_metric_line("m", 1_700_000_000_000, 1, 2.0)
    run_id = _run_with_history(runs_root, lines)
    runreport.Client().search_runs(["123"])  # reads
    _builds_or_reports(runs_root, tmp_path / "site", run_id)


def test_a_time_past_year_9999_written_by_hand_does_not_break_the_build(
    runs_root: Path, tmp_path: Path
) -> None:
    lines = fmt.format_metric_line("m", 1_700_000_000_000, 1, 2.0)
    run_id = _run_with_history(runs_root, lines, start_time=2**62)
    runreport.Client().search_runs(["123"])  # reads
    _builds_or_reports(runs_root, tmp_path / "site", run_id)
