"""The run-folder format: records, metric lines, summaries, bad files."""

from __future__ import annotations

import json
import math

import pytest

from runreport.exceptions import RunFormatError
from runreport.store import format as fmt


def test_run_record_round_trips_with_sorted_keys_and_version() -> None:
    record = fmt.RunRecord("r1", "0", "brave-fox-1", params={"b": "2", "a": "1"}, tags={"t": "v"})
    text = record.to_json()
    data = json.loads(text)
    assert data["format_version"] == fmt.FORMAT_VERSION
    assert list(data) == sorted(data)
    assert list(data["params"]) == ["a", "b"]
    assert text.endswith("\n")
    assert fmt.RunRecord.from_json(text, "run.json") == record


def test_unicode_survives_and_is_written_as_text() -> None:
    record = fmt.ExperimentRecord("1", "Prédiction 購入 🚀")
    text = record.to_json()
    assert "Prédiction 購入 🚀" in text
    assert fmt.ExperimentRecord.from_json(text, "x").name == "Prédiction 購入 🚀"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"format_version": "1"}', "format_version"),
        ('{"format_version": 99}', "newer than this runreport"),
    ],
)
def test_bad_records_name_the_file_and_reason(text: str, fragment: str) -> None:
    with pytest.raises(RunFormatError) as info:
        fmt.RunRecord.from_json(text, "/x/run.json")
    assert "/x/run.json" in str(info.value)
    assert fragment in str(info.value)


def test_wrong_field_types_are_reported() -> None:
    good = json.loads(fmt.RunRecord("r1", "0", "n").to_json())
    for field, bad in [
        ("status", "DONE"),
        ("start_time", "noon"),
        ("params", {"a": 1}),
        ("run_id", 5),
    ]:
        data = dict(good, **{field: bad})
        with pytest.raises(RunFormatError, match=field):
            fmt.RunRecord.from_json(json.dumps(data), "run.json")


def test_metric_lines_keep_nan_and_infinities_exactly() -> None:
    values = [0.1, 1 / 3, float("nan"), float("inf"), float("-inf"), -0.0, 1e-300]
    data = "".join(fmt.format_metric_line("m", 1, i, v) for i, v in enumerate(values)).encode()
    parsed = [p[3] for p in fmt.parse_metric_lines(data)]
    assert len(parsed) == len(values)
    for got, want in zip(parsed, values, strict=True):
        assert (math.isnan(got) and math.isnan(want)) or got == want


def test_torn_last_line_and_garbage_lines_are_skipped() -> None:
    data = b"a\t1\t0\t1.0\ngarbage\nb\t1\tx\t2\n\xff\xfe\t1\t0\t3.0\na\t2\t1\t2."
    assert [(k, v) for k, _, _, v in fmt.parse_metric_lines(data)] == [
        ("a", 1.0),
        ("\ufffd\ufffd", 3.0),
    ]


def test_summary_latest_is_highest_step_then_timestamp() -> None:
    summary = fmt.Summary()
    points = [(10, 5, 1.0), (20, 3, 2.0), (5, 5, 3.0), (30, 5, 4.0), (1, 4, -1.0), (30, 5, 3.5)]
    for ts, step, value in points:
        summary.add("m", ts, step, value)
    value, timestamp, step, low, high, count = summary.metrics["m"]
    assert (value, step, timestamp) == (4.0, 5, 30)
    assert (low, high, count) == (-1.0, 4.0, 6)


def test_summary_min_max_ignore_nan_and_json_has_no_bare_nan() -> None:
    summary = fmt.Summary()
    summary.add("m", 1, 0, float("nan"))
    assert math.isnan(summary.metrics["m"][fmt.MIN])
    summary.add("m", 2, 1, 2.0)
    summary.add("m", 3, 2, float("inf"))
    text = summary.to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in summary.json"))
    value, _, _, low, high, count = fmt.Summary.from_json(text, "summary.json").metrics["m"]
    assert (low, high, value, count) == (2.0, math.inf, math.inf, 3)
