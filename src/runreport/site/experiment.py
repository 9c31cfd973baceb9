"""The experiment page's model and its data files: ``runs.js`` (the table's rows, loaded by a
``<script>`` element so the page works from ``file://``), ``runs.json`` and ``runs.csv``.

The HTML holds no run rows: the page's script draws the visible page of the table from
``runs.js``, so 10,000 runs and 200 columns stay quick to load.
"""

from __future__ import annotations

from typing import Any

from runreport.cli_output import to_csv
from runreport.formatting import format_number, iso_time
from runreport.site import charts, paths
from runreport.site.inputs import ExperimentInput
from runreport.site.pages import Download, ExperimentPage, Field, Frame, Link
from runreport.site.safety import finite, render_markdown, safe_url, to_json
from runreport.site.summary import PRIMARY_GOAL_TAG, PRIMARY_METRIC_TAG, metric_goal
from runreport.tracking import context as tags
from runreport.tracking.entities import Run
from runreport.tracking.frames import BASE_COLUMNS

DATA_VARIABLE = "runreportRuns"
# Tags left out of the table data: shown elsewhere, or large (a JSON list of logged models).
TABLE_HIDDEN_TAGS = frozenset(
    {
        "mlflow.log-model.history",
        "mlflow.note.content",
        "mlflow.runName",
        "mlflow.user",
        "mlflow.parentRunId",
    }
)
DEFAULT_METRIC_COLUMNS = 12
DEFAULT_PARAM_COLUMNS = 12
PAGE_SIZE = 100


def make_experiment_page(experiment: ExperimentInput, frame: Frame) -> ExperimentPage:
    page_path = paths.experiment_page(experiment.experiment_id)
    metric_keys = _keys(experiment.runs, lambda r: r.data.metrics)
    param_keys = _keys(experiment.runs, lambda r: r.data.params)

    def file_href(name: str) -> str:
        return paths.href(page_path, paths.experiment_file(experiment.experiment_id, name))

    frame.data = {
        "charts": {
            "across": charts.template(charts.metric_across_runs_chart("", [])),
            "parallel": charts.template(charts.parallel_coordinates_chart([])),
            "scatter": charts.template(charts.scatter_chart([])),
        },
        "pageSize": PAGE_SIZE,
        "runHref": paths.root_of(page_path) + "runs/",
        "compareHref": paths.href(page_path, paths.COMPARE),
    }
    numeric = [Link(k, f"metrics.{k}") for k in metric_keys]
    numeric += [Link(k, f"params.{k}") for k in param_keys if _numeric_param(experiment.runs, k)]
    return ExperimentPage(
        frame=frame,
        name=experiment.name,
        experiment_id=experiment.experiment_id,
        run_count=format_number(len(experiment.runs)),
        description=render_markdown(experiment.tags.get("mlflow.note.content")),
        tags=[
            Field(k, v, safe_url(v))
            for k, v in sorted(experiment.tags.items())
            if k != "mlflow.note.content"
        ],
        downloads=[
            Download("runs.csv", file_href("runs.csv")),
            Download("runs.json", file_href("runs.json")),
        ],
        runs_script=file_href("runs.js"),
        metrics=metric_keys,
        numeric_columns=numeric,
    )


def _keys(runs: list[Run], get: Any) -> list[str]:
    return sorted({key for run in runs for key in get(run)})


def _numeric_param(runs: list[Run], key: str) -> bool:
    seen = False
    for run in runs:
        value = run.data.params.get(key)
        if value is None:
            continue
        try:
            float(value)
        except ValueError:
            return False
        seen = True
    return seen


# ---------------------------------------------------------------- runs.js


def runs_data(experiment: ExperimentInput) -> dict[str, Any]:
    """The table's data: column list, and one compact row per run (values aligned to columns)."""
    runs = experiment.runs
    metric_keys = _keys(runs, lambda r: r.data.metrics)
    param_keys = _keys(runs, lambda r: r.data.params)
    tag_keys = [k for k in _keys(runs, lambda r: r.data.tags) if k not in TABLE_HIDDEN_TAGS]
    columns = (
        [{"id": f"metrics.{k}", "kind": "metric", "key": k} for k in metric_keys]
        + [{"id": f"params.{k}", "kind": "param", "key": k} for k in param_keys]
        + [{"id": f"tags.{k}", "kind": "tag", "key": k} for k in tag_keys]
    )
    overrides = _goal_overrides(experiment.tags)
    visible = [f"metrics.{k}" for k in metric_keys[:DEFAULT_METRIC_COLUMNS]]
    visible += [f"params.{k}" for k in param_keys[:DEFAULT_PARAM_COLUMNS]]
    values = [[_metric(run.data.metrics.get(k)) for run in runs] for k in metric_keys]
    values += [[run.data.params.get(k) for run in runs] for k in param_keys]
    values += [[run.data.tags.get(k) for run in runs] for k in tag_keys]
    return {
        "experiment": {"id": experiment.experiment_id, "name": experiment.name},
        "columns": columns,
        "visible": visible,
        "goals": {k: metric_goal(k, overrides.get(k)) for k in metric_keys},
        "runs": [_row(run) for run in runs],
        "values": [_encode_column(column) for column in values],
    }


def _encode_column(values: list[Any]) -> dict[str, list[Any]]:
    """One column's values: ``{"v": values}``, or ``{"d": distinct, "c": codes}`` (-1 for a
    missing value) when values repeat, which keeps 10,000 runs of sweep params small."""
    distinct: dict[Any, int] = {}
    codes = []
    for value in values:
        if value is None:
            codes.append(-1)
        else:
            codes.append(distinct.setdefault(value, len(distinct)))
    if len(distinct) * 2 > len(values):
        return {"v": values}
    return {"d": list(distinct), "c": codes}


def runs_script(experiment: ExperimentInput) -> str:
    """``runs.js``: the table's data as a script that sets ``window.runreportRuns``."""
    return f"window.{DATA_VARIABLE} = {to_json(runs_data(experiment))};\n"


def _row(run: Run) -> dict[str, Any]:
    info, data = run.info, run.data
    return {
        "id": info.run_id,
        "name": info.run_name,
        "status": info.status,
        "start": info.start_time,
        "end": info.end_time,
        "user": info.user_id,
        "commit": (data.tags.get(tags.TAG_GIT_COMMIT) or "")[:12] or None,
        "parent": info.parent_run_id,
    }


def _metric(value: float | None) -> float | str | None:
    return None if value is None else finite(value)


def _goal_overrides(experiment_tags: dict[str, str]) -> dict[str, str]:
    key, goal = experiment_tags.get(PRIMARY_METRIC_TAG), experiment_tags.get(PRIMARY_GOAL_TAG)
    return {key: goal} if key and goal in ("min", "max") else {}


# ---------------------------------------------------------------- runs.csv, runs.json


def runs_csv(experiment: ExperimentInput) -> str:
    """MLflow's ``search_runs`` columns; formula-like text cells are neutralised."""
    return to_csv(_flat_rows(experiment.runs))


def runs_json(experiment: ExperimentInput) -> str:
    rows = [_json_run(run) for run in experiment.runs]
    return (
        to_json({"experiment_id": experiment.experiment_id, "name": experiment.name, "runs": rows})
        + "\n"
    )


def _flat_rows(runs: list[Run]) -> list[dict[str, Any]]:
    metric_keys = _keys(runs, lambda r: r.data.metrics)
    param_keys = _keys(runs, lambda r: r.data.params)
    tag_keys = _keys(runs, lambda r: r.data.tags)
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = dict.fromkeys(BASE_COLUMNS)
        row.update(
            run_id=info.run_id,
            experiment_id=info.experiment_id,
            status=info.status,
            artifact_uri=paths.run_artifact(info.run_id, ""),
            start_time=iso_time(info.start_time),
            end_time=iso_time(info.end_time),
        )
        row.update({f"metrics.{k}": run.data.metrics.get(k) for k in metric_keys})
        row.update({f"params.{k}": run.data.params.get(k) for k in param_keys})
        row.update({f"tags.{k}": run.data.tags.get(k) for k in tag_keys})
        rows.append(row)
    return rows


def _json_run(run: Run) -> dict[str, Any]:
    info = run.info
    return {
        "info": {
            "run_id": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "parent_run_id": info.parent_run_id,
            "artifact_uri": paths.run_artifact(info.run_id, ""),
            "lifecycle_stage": info.lifecycle_stage,
        },
        "data": {
            "metrics": {k: finite(v) for k, v in run.data.metrics.items()},
            "params": dict(run.data.params),
            "tags": dict(run.data.tags),
        },
    }
