"""A comparison of candidate runs against a baseline: the data behind every report format."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from runreport.reports.semantics import (
    BETTER,
    UNCHANGED,
    UNKNOWN,
    WORSE,
    MetricSemantics,
    semantics_for,
)
from runreport.tracking.entities import Metric, Run

SPARK_CHARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 16


@dataclass(slots=True)
class MetricCell:
    """One candidate's value of one metric, against the baseline."""

    value: float | None
    delta: float | None
    relative: float | None
    verdict: str
    sparkline: str = ""


@dataclass(slots=True)
class MetricRow:
    semantics: MetricSemantics
    baseline: float | None
    baseline_sparkline: str
    cells: list[MetricCell]
    note: str = ""


@dataclass(slots=True)
class ParamRow:
    key: str
    baseline: str | None
    values: list[str | None]


@dataclass(slots=True)
class Comparison:
    """Candidates against a baseline; ``verdict``: the first candidate's primary metric."""

    baseline: Run | None
    baseline_label: str
    candidates: list[Run]
    metrics: list[MetricRow]
    params: list[ParamRow]
    primary: str | None
    verdict: str
    notes: list[str] = field(default_factory=list)


History = Callable[[str, str], list[Metric]]


def sparkline(points: list[Metric], width: int = SPARK_WIDTH) -> str:
    """A tiny text chart of a history (by step), NaN shown as a space; empty for one point."""
    values = [m.value for m in sorted(points, key=lambda m: (m.step, m.timestamp))]
    if len(values) < 2:
        return ""
    if len(values) > width:  # mean of equal buckets keeps the shape
        size = len(values) / width
        values = [_mean(values[int(i * size) : int((i + 1) * size)]) for i in range(width)]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    top = len(SPARK_CHARS) - 1
    return "".join(
        SPARK_CHARS[round((v - low) / span * top)] if math.isfinite(v) else " " for v in values
    )


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def compare(
    baseline: Run | None,
    candidates: list[Run],
    history: History,
    semantics: dict[str, MetricSemantics] | None = None,
    primary: str | None = None,
    baseline_label: str | None = None,
) -> Comparison:
    """Compare ``candidates`` with ``baseline`` (None: no baseline, values only)."""
    keys = sorted(
        {k for run in [*candidates, *([baseline] if baseline else [])] for k in run.data.metrics}
    )
    rows = [
        _metric_row(key, baseline, candidates, history, semantics_for(key, semantics))
        for key in keys
    ]
    notes = []
    if baseline is None:
        notes.append("No baseline: values are shown without deltas.")
    chosen = primary or _default_primary(rows)
    verdict = _verdict(rows, chosen, notes)
    label = baseline_label or (baseline.info.run_name if baseline else "none")
    return Comparison(
        baseline, label, candidates, rows, _param_rows(baseline, candidates), chosen, verdict, notes
    )


def _metric_row(
    key: str, baseline: Run | None, candidates: list[Run], history: History, sem: MetricSemantics
) -> MetricRow:
    base = baseline.data.metrics.get(key) if baseline else None
    cells = []
    for run in candidates:
        value = run.data.metrics.get(key)
        delta = None if value is None or base is None else value - base
        relative = None
        if (
            delta is not None
            and base not in (None, 0)
            and math.isfinite(delta)
            and math.isfinite(base)
        ):
            relative = delta / abs(base)
        spark = sparkline(history(run.info.run_id, key)) if value is not None else ""
        cells.append(MetricCell(value, delta, relative, sem.judge(base, value), spark))
    note = ""
    if baseline is not None and base is None:
        note = "not logged by the baseline"
    elif any(c.value is None for c in cells):
        note = "missing in some candidates"
    elif any(c.value is not None and math.isnan(c.value) for c in cells) or (
        base is not None and math.isnan(base)
    ):
        note = "NaN values"
    base_spark = (
        sparkline(history(baseline.info.run_id, key)) if baseline and base is not None else ""
    )
    return MetricRow(sem, base, base_spark, cells, note)


def _default_primary(rows: list[MetricRow]) -> str | None:
    """The first metric with a known direction, preferring names that usually matter most."""
    directed = [r.semantics.key for r in rows if r.semantics.higher_is_better is not None]
    for preferred in ("r2_score", "accuracy", "f1", "auc", "rmse", "loss", "val_loss"):
        if preferred in directed:
            return preferred
    return directed[0] if directed else None


def _verdict(rows: list[MetricRow], primary: str | None, notes: list[str]) -> str:
    row = next((r for r in rows if r.semantics.key == primary), None)
    if row is None or not row.cells:
        if primary:
            notes.append(f"The primary metric {primary!r} was not logged.")
        return UNKNOWN
    verdict = row.cells[0].verdict
    if verdict == UNKNOWN and row.baseline is None and not any("No baseline" in n for n in notes):
        notes.append(f"The baseline has no {primary!r}, so there is no verdict.")
    return verdict


def _param_rows(baseline: Run | None, candidates: list[Run]) -> list[ParamRow]:
    """Params whose value differs between any two of the runs (missing counts as a value)."""
    runs = [*([baseline] if baseline else []), *candidates]
    keys = sorted({k for run in runs for k in run.data.params})
    rows = []
    for key in keys:
        values = [run.data.params.get(key) for run in runs]
        if len(set(values)) > 1:
            rows.append(
                ParamRow(key, values[0] if baseline else None, values[1:] if baseline else values)
            )
    return rows


def verdict_mark(verdict: str) -> str:
    return {BETTER: "✅ better", WORSE: "❌ worse", UNCHANGED: "➖ unchanged"}.get(
        verdict, "❔ n/a"
    )
