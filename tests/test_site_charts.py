"""The site's charts (Vega-Lite dicts), downsampling and history reading."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from runreport.site import charts
from runreport.site.downsample import MAX_POINTS, downsample_indices
from runreport.site.histories import read_histories
from runreport.store import format as fmt

ROWS = [{"step": 0, "time": 1000, "value": 1.0}, {"step": 1, "time": 2000, "value": 0.5}]


def test_history_chart_encodes_step_or_wall_clock_time() -> None:
    spec = charts.metric_history_chart("loss", ROWS)
    assert spec["mark"]["type"] == "line" and spec["title"] == "loss"
    assert spec["encoding"]["x"] == {
        "axis": {"format": "~s"},
        "field": "step",
        "title": "step",
        "type": "quantitative",
    }
    assert (
        spec["encoding"]["y"]["field"] == "value"
        and spec["encoding"]["y"]["type"] == "quantitative"
    )
    assert spec["data"] == {"values": ROWS}
    timed = charts.metric_history_chart("loss", ROWS, x="time")
    assert (
        timed["encoding"]["x"]["field"] == "time" and timed["encoding"]["x"]["type"] == "temporal"
    )
    assert timed["encoding"]["x"]["scale"] == {"type": "utc"}
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    with pytest.raises(ValueError, match="expected 'step' or 'time'"):
        charts.metric_history_chart("loss", ROWS, x="epoch")


def test_chart_functions_are_pure() -> None:
    rows = [dict(r) for r in ROWS]
    first = charts.metric_history_chart("a", rows)
    first["data"]["values"][0]["value"] = 99
    first["encoding"]["x"]["title"] = "changed"
    second = charts.metric_history_chart("a", rows)
    assert rows == ROWS and second == charts.metric_history_chart("a", ROWS)
    assert second["encoding"]["x"]["title"] == "step"


def test_across_runs_compare_parallel_and_scatter_encodings() -> None:
    across = charts.metric_across_runs_chart(
        "r2", [{"name": "a", "start": 1, "value": 0.5, "status": "FINISHED"}]
    )
    assert across["mark"]["type"] == "point"
    assert (across["encoding"]["x"]["field"], across["encoding"]["x"]["type"]) == (
        "start",
        "temporal",
    )
    assert across["encoding"]["color"]["field"] == "status"
    compare = charts.compare_history_chart("loss", [{"run": "a", "step": 0, "value": 1}])
    assert compare["encoding"]["color"]["field"] == "run" and compare["title"] == "loss"
    rows = [
        {"run": "r1", "name": "a", "axis": "params.lr", "order": 0, "value": "0.1", "norm": 0.0}
    ]
    parallel = charts.parallel_coordinates_chart(rows)
    assert parallel["encoding"]["detail"]["field"] == "run"
    assert parallel["encoding"]["x"]["sort"] == {"field": "order", "op": "min"}
    assert parallel["encoding"]["y"]["scale"] == {"domain": [0, 1]}
    assert parallel["data"]["values"] == rows
    scatter = charts.scatter_chart(
        [{"name": "a", "x": 1, "y": 2, "status": "FAILED"}], "params.lr", "metrics.loss"
    )
    assert (
        scatter["encoding"]["x"]["title"] == "params.lr"
        and scatter["encoding"]["y"]["title"] == "metrics.loss"
    )


def test_templates_have_no_rows_and_no_config() -> None:
    spec = charts.template(charts.metric_history_chart("", ROWS))
    assert spec["data"] == {"values": []} and "config" not in spec and "datasets" not in spec


def test_many_rows_never_hit_altairs_row_limit() -> None:
    rows = [{"step": i, "time": i, "value": float(i)} for i in range(20_000)]
    spec = charts.metric_history_chart("big", rows)
    assert len(spec["data"]["values"]) == 20_000
    json.dumps(spec, allow_nan=False)


def test_downsampling_keeps_shape_ends_and_spikes_fast() -> None:
    values = np.sin(np.linspace(0, 20, 1_000_000))
    values[123_456] = 50.0  # a spike
    values[654_321] = -50.0  # a dip
    values[10] = np.nan
    started = time.perf_counter()
    index = downsample_indices(values)
    assert time.perf_counter() - started < 1.0
    assert len(index) <= MAX_POINTS and index[0] == 0 and index[-1] == len(values) - 1
    assert list(index) == sorted(set(index.tolist()))
    assert 123_456 in index and 654_321 in index
    kept = values[index]
    assert (
        abs(np.nanmax(kept[kept < 40]) - 1) < 1e-3 and abs(np.nanmin(kept[kept > -40]) + 1) < 1e-3
    )
    assert list(downsample_indices([1.0, 2.0, 3.0])) == [0, 1, 2]


def _write_history(run_dir: Path, text: str) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / fmt.METRICS_FILE).write_text(text, encoding="utf-8")


def test_histories_sorted_by_step_and_downsampled(tmp_path: Path) -> None:
    lines = "".join(fmt.format_metric_line("loss", 1000 + s, s, 1 / (s + 1)) for s in range(5000))
    lines += fmt.format_metric_line("acc", 10, 2, 0.2) + fmt.format_metric_line("acc", 5, 1, 0.1)
    lines += fmt.format_metric_line("acc", 20, 3, float("nan"))
    _write_history(tmp_path, lines)
    histories = read_histories(tmp_path)
    assert list(histories) == ["acc", "loss"]
    assert histories["acc"].steps.tolist() == [1, 2, 3]
    assert histories["acc"].to_data()["value"] == [0.1, 0.2, None]
    loss = histories["loss"]
    assert loss.count == 5000 and len(loss.steps) <= MAX_POINTS
    assert loss.steps[0] == 0 and loss.steps[-1] == 4999


def test_histories_follow_the_format_rules_for_bad_lines(tmp_path: Path) -> None:
    text = (
        "loss\t1\t0\t0.5\n"
        "garbage line\n"
        "loss\t2\tx\t0.4\n"
        "nan\t3\t1\tinf\n"  # a metric called "nan" whose value is infinite
        "loss\t4\t2\t0.3"  # torn last line: no LF
    )
    _write_history(tmp_path, text)
    histories = read_histories(tmp_path)
    assert histories["loss"].steps.tolist() == [0] and histories["loss"].values.tolist() == [0.5]
    assert math.isinf(histories["nan"].values[0])
    _write_history(tmp_path / "clean", "m a\t1\t0\tnan\nm a\t2\t1\t-inf\n")
    clean = read_histories(tmp_path / "clean")["m a"]
    assert math.isnan(clean.values[0]) and clean.values[1] == -math.inf
    assert read_histories(tmp_path / "missing") == {}


def test_histories_stop_at_the_counts_of_the_summary(tmp_path: Path) -> None:
    steps = [3, 1, 2, 0, 4]  # file order; the summary counted the first three
    lines = "".join(fmt.format_metric_line("loss", 100 + s, s, float(s)) for s in steps)
    lines += fmt.format_metric_line("late", 200, 0, 1.0)  # logged after the summary was read
    _write_history(tmp_path, lines)
    histories = read_histories(tmp_path, {"loss": 3, "gone": 2})
    assert list(histories) == ["loss"]
    assert histories["loss"].steps.tolist() == [1, 2, 3] and histories["loss"].count == 3
