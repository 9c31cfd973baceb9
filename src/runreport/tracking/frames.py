"""``search_runs`` results as a pandas DataFrame with MLflow's columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runreport.tracking.entities import Run

if TYPE_CHECKING:
    import pandas as pd

BASE_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per run: ``run_id, experiment_id, status, artifact_uri, start_time, end_time``,
    then ``metrics.*`` (latest values), ``params.*`` and ``tags.*``, each group sorted by key.

    Times are timezone-aware UTC timestamps, as in MLflow; missing values are NaN/None.
    """
    import pandas as pd

    columns: dict[str, list[object]] = {name: [] for name in BASE_COLUMNS}
    for run in runs:
        info = run.info
        columns["run_id"].append(info.run_id)
        columns["experiment_id"].append(info.experiment_id)
        columns["status"].append(info.status)
        columns["artifact_uri"].append(info.artifact_uri)
        columns["start_time"].append(info.start_time)
        columns["end_time"].append(info.end_time)
    frame = pd.DataFrame(columns)
    for name in ("start_time", "end_time"):
        frame[name] = pd.to_datetime(frame[name], unit="ms", utc=True)
    groups = [
        _group([run.data.metrics for run in runs], "metrics", float("nan"), "float64"),
        _group([run.data.params for run in runs], "params", None, "object"),
        _group([run.data.tags for run in runs], "tags", None, "object"),
    ]
    return pd.concat([frame, *groups], axis=1) if len(runs) else frame


def _group(dicts: list[dict[str, Any]], prefix: str, missing: object, dtype: str) -> pd.DataFrame:
    """One column per key found in any of ``dicts`` (a run's metrics, params or tags), sorted."""
    import pandas as pd

    keys = sorted(set().union(*dicts))
    data = {f"{prefix}.{key}": [d.get(key, missing) for d in dicts] for key in keys}
    return pd.DataFrame(data, dtype=dtype, index=range(len(dicts)))
