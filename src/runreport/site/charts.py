"""The site's charts as Vega-Lite specs, made with altair: pure functions of their rows.

Each function returns a plain dict (a Vega-Lite spec with ``data.values`` holding ``rows``).
altair builds and validates each kind of chart once; later calls copy that template and put in
the title and the rows, so thousands of run pages cost no altair work, and altair's row limit
never applies (altair never sees the rows). Pages whose rows are only known in the browser (the
runs a filter keeps, the runs a compare link names) embed the spec made with no rows; the
page's script puts the rows into ``data.values``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Any

Row = dict[str, Any]
Spec = dict[str, Any]

HEIGHT = 220
SMALL_HEIGHT = 160
DATA_NAME = "rows"


def metric_history_chart(metric: str, rows: Sequence[Row], x: str = "step") -> Spec:
    """One metric of one run over steps (``x="step"``) or wall-clock time (``x="time"``).

    Rows: ``{"step": int, "time": ms since the epoch, "value": float}``.
    """
    if x not in ("step", "time"):
        raise ValueError(f"x is {x!r}; expected 'step' or 'time'")
    return _fill(_history_template(x), metric, rows)


def metric_across_runs_chart(metric: str, rows: Sequence[Row]) -> Spec:
    """The latest value of one metric for every run, against the run's start time.

    Rows: ``{"name": str, "start": ms, "value": float, "status": str}``.
    """
    return _fill(_across_runs_template(), metric, rows)


def compare_history_chart(metric: str, rows: Sequence[Row]) -> Spec:
    """One metric's histories of several runs overlaid, one colour per run.

    Rows: ``{"run": run name, "step": int, "value": float}``.
    """
    return _fill(_compare_template(), metric, rows)


def parallel_coordinates_chart(rows: Sequence[Row]) -> Spec:
    """Params and metrics of many runs as parallel coordinates (one line per run).

    Rows, one per run and axis: ``{"run": id, "name": str, "axis": str, "order": int,
    "value": shown value, "norm": 0..1 position on the axis}``.
    """
    return _fill(_parallel_template(), None, rows)


def scatter_chart(rows: Sequence[Row], x_title: str = "x", y_title: str = "y") -> Spec:
    """Any param or metric against another, one point per run.

    Rows: ``{"name": str, "x": float, "y": float, "status": str}``.
    """
    spec = _fill(_scatter_template(), None, rows)
    spec["encoding"]["x"]["title"] = x_title
    spec["encoding"]["y"]["title"] = y_title
    return spec


def template(spec: Spec) -> Spec:
    """``spec`` without its rows (the browser puts them in)."""
    out = dict(spec)
    out["data"] = {"values": []}
    return out


# ---------------------------------------------------------------- templates (altair, once)


def _fill(base: Spec, title: str | None, rows: Sequence[Row]) -> Spec:
    spec = copy.deepcopy(base)
    if title is not None:
        spec["title"] = title
    spec["data"] = {"values": [dict(row) for row in rows]}
    return spec


def _alt() -> Any:
    import altair as alt

    return alt


def _base(height: int = HEIGHT) -> Any:
    alt = _alt()
    return alt.Chart(alt.Data(name=DATA_NAME)).properties(width="container", height=height)


def _to_dict(chart: Any) -> Spec:
    spec: Spec = chart.to_dict()
    spec.pop("config", None)  # the page supplies the theme (light or dark)
    spec.pop("data", None)
    return spec


@cache
def _history_template(x: str) -> Spec:
    alt = _alt()
    if x == "step":
        x_enc = alt.X("step:Q", title="step", axis=alt.Axis(format="~s"))
    else:
        x_enc = alt.X("time:T", title="wall-clock time (UTC)", scale=alt.Scale(type="utc"))
    chart = (
        _base(SMALL_HEIGHT)
        .mark_line(point=False, interpolate="linear")
        .encode(
            x=x_enc,
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("step:Q", title="step"),
                alt.Tooltip("time:T", title="time (UTC)", format="%Y-%m-%d %H:%M:%S"),
                alt.Tooltip("value:Q", title="value", format=".6~g"),
            ],
        )
    )
    return _to_dict(chart)


@cache
def _across_runs_template() -> Spec:
    alt = _alt()
    chart = (
        _base(SMALL_HEIGHT)
        .mark_point(filled=True, size=40)
        .encode(
            x=alt.X("start:T", title="run start (UTC)", scale=alt.Scale(type="utc")),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("status:N", title="status", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("name:N", title="run"),
                alt.Tooltip("value:Q", title="value", format=".6~g"),
                alt.Tooltip("status:N", title="status"),
            ],
        )
    )
    return _to_dict(chart)


@cache
def _compare_template() -> Spec:
    alt = _alt()
    chart = (
        _base()
        .mark_line()
        .encode(
            x=alt.X("step:Q", title="step", axis=alt.Axis(format="~s")),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("run:N", title="run", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("step:Q", title="step"),
                alt.Tooltip("value:Q", title="value", format=".6~g"),
            ],
        )
    )
    return _to_dict(chart)


@cache
def _parallel_template() -> Spec:
    alt = _alt()
    chart = (
        _base(260)
        .mark_line(opacity=0.6, strokeWidth=1.5)
        .encode(
            x=alt.X(
                "axis:N",
                title=None,
                sort=alt.EncodingSortField(field="order", op="min"),
                axis=alt.Axis(labelAngle=-20, labelLimit=140, domain=False, grid=True),
            ),
            y=alt.Y("norm:Q", title=None, axis=None, scale=alt.Scale(domain=[0, 1])),
            detail=alt.Detail("run:N"),
            color=alt.Color("name:N", title="run", legend=None),
            tooltip=[
                alt.Tooltip("name:N", title="run"),
                alt.Tooltip("axis:N", title="axis"),
                alt.Tooltip("value:N", title="value"),
            ],
        )
    )
    return _to_dict(chart)


@cache
def _scatter_template() -> Spec:
    alt = _alt()
    chart = (
        _base(260)
        .mark_point(filled=True, size=50)
        .encode(
            x=alt.X("x:Q", title="x", scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title="y", scale=alt.Scale(zero=False)),
            color=alt.Color("status:N", title="status", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("name:N", title="run"),
                alt.Tooltip("x:Q", title="x", format=".6~g"),
                alt.Tooltip("y:Q", title="y", format=".6~g"),
            ],
        )
    )
    return _to_dict(chart)
