"""runreport: MLflow's tracking API without a server, a git-native registry and a static site.

``import runreport as mlflow`` and the usual calls work: ``set_experiment``, ``start_run``,
``log_param``, ``log_metric``, ``search_runs``, ``runreport.sklearn.log_model``... Runs are
written as plain folders (see ``docs/format.md``).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0.dev0"

from runreport.exceptions import (
    FilterSyntaxError,
    InvalidParameterError,
    MlflowException,
    ResourceExistsError,
    ResourceNotFoundError,
    RunFormatError,
    RunReportError,
)
from runreport.tracking.client import Client, MlflowClient, RunReportClient
from runreport.tracking.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from runreport.tracking.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    end_run,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_metric_history,
    get_run,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    search_experiments,
    search_runs,
    set_experiment,
    set_tag,
    set_tags,
    set_terminated,
    start_run,
)
from runreport.tracking.location import get_tracking_uri, set_tracking_uri

_LAZY_SUBMODULES = ("sklearn", "pyfunc", "models", "search", "registry")


def __getattr__(name: str) -> Any:
    """``runreport.sklearn`` and friends load on first use, like ``mlflow.sklearn``."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"runreport.{name}")
    if name in ("register_model",):
        return getattr(importlib.import_module("runreport.registry"), name)
    raise AttributeError(f"module 'runreport' has no attribute {name!r}")


__all__ = [
    "ActiveRun",
    "Client",
    "Experiment",
    "FileInfo",
    "FilterSyntaxError",
    "InvalidParameterError",
    "LifecycleStage",
    "Metric",
    "MlflowClient",
    "MlflowException",
    "Param",
    "ResourceExistsError",
    "ResourceNotFoundError",
    "Run",
    "RunData",
    "RunFormatError",
    "RunInfo",
    "RunReportClient",
    "RunReportError",
    "RunStatus",
    "RunTag",
    "ViewType",
    "__version__",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_terminated",
    "set_tracking_uri",
    "start_run",
]
