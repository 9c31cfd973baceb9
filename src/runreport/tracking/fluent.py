"""The fluent API: ``runreport.start_run()``, ``runreport.log_metric()``... as in MLflow.

The active run lives in a ``ContextVar`` stack, so asyncio tasks and threads that start their own
runs do not see each other's. A thread that started no run of its own logs to the newest run of
the process, so worker threads can log into the run their parent started. As in MLflow, logging
with no active run starts one (ended as FINISHED at interpreter exit).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.store import format as fmt
from runreport.store.reader import gc_paused
from runreport.store.writer import now_ms
from runreport.tracking import buffer as buffers
from runreport.tracking import validation
from runreport.tracking.client import Client
from runreport.tracking.context import system_tags
from runreport.tracking.entities import Experiment, Metric, Param, Run, RunStatus, RunTag
from runreport.tracking.location import get_tracking_uri

_valid_keys = validation._valid_keys
_I64_MIN, _I64_MAX = validation.MIN_INT64, validation.MAX_INT64
_step = validation.metric_step


class ActiveRun(Run):
    """A run started by :func:`start_run`; a context manager that ends it.

    Leaving the ``with`` block normally marks the run FINISHED, by an exception FAILED (the
    exception propagates), by KeyboardInterrupt KILLED.
    """

    def __init__(self, run: Run, client: Client) -> None:
        super().__init__(run.info, run.data, run.source)
        self._client = client
        self._buffer = client.metric_buffer(run.info.run_id)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        """End the run: FINISHED, KILLED on Ctrl-C, FAILED on an exception (which propagates)."""
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        end_run(status, run_id=self.info.run_id)


_run_stack: ContextVar[tuple[ActiveRun, ...]] = ContextVar("runreport_run_stack", default=())
_process_runs: list[ActiveRun] = []  # every active run of the process, oldest first
_process_lock = threading.RLock()
_active_experiment_id: str | None = None
_last_active_run_id: str | None = None


def _client() -> Client:
    return Client(get_tracking_uri())


# ---------------------------------------------------------------- experiments


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active (created by name when missing) and return it."""
    global _active_experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterError("give exactly one of experiment_name or experiment_id")
    client = _client()
    if experiment_name is not None:
        experiment = client.get_or_create_experiment(experiment_name)
    else:
        experiment = client.get_experiment(str(experiment_id))
    if experiment.lifecycle_stage != "active":
        raise InvalidParameterError(
            f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; restore "
            "it with Client().restore_experiment(id) or choose another name"
        )
    _active_experiment_id = experiment.experiment_id
    return experiment


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def search_experiments(
    view_type: int = 1,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    return list(_client().search_experiments(view_type, max_results, filter_string, order_by))


def _current_experiment_id(client: Client) -> str:
    if _active_experiment_id is not None:
        return _active_experiment_id
    env_id = os.environ.get("RUNREPORT_EXPERIMENT_ID") or os.environ.get("MLFLOW_EXPERIMENT_ID")
    if env_id:
        return env_id
    env_name = os.environ.get("RUNREPORT_EXPERIMENT_NAME") or os.environ.get(
        "MLFLOW_EXPERIMENT_NAME"
    )
    return client.get_or_create_experiment(env_name or fmt.DEFAULT_EXPERIMENT_NAME).experiment_id


# ---------------------------------------------------------------- runs


def active_run() -> ActiveRun | None:
    """The run logging calls go to: this context's newest, else the process's newest."""
    stack = _run_stack.get()
    if stack:
        return stack[-1]
    return _process_runs[-1] if _process_runs else None


def last_active_run() -> Run | None:
    """The active run, or else the run most recently ended in this process."""
    run = active_run()
    run_id = run.info.run_id if run else _last_active_run_id
    return None if run_id is None else _client().get_run(run_id)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run (or resume ``run_id``) and make it active; use it in a ``with`` block."""
    current = _run_stack.get()
    if current and not nested:
        raise InvalidParameterError(
            f"run {current[-1].info.run_id} is already active. End it with runreport.end_run() "
            "first, or start a nested run with start_run(nested=True)"
        )
    client = _client()
    if nested and parent_run_id is None and current:
        parent_run_id = current[-1].info.run_id
    if run_id is not None:
        run = _resume(client, run_id, run_name, tags, description)
    else:
        run = _create(client, experiment_id, run_name, parent_run_id, tags, description)
    active = ActiveRun(run, client)
    _run_stack.set((*current, active))
    with _process_lock:
        _process_runs.append(active)
    buffers.on_sigterm(_end_all_killed)
    return active


def _create(
    client: Client,
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    all_tags = system_tags()
    all_tags.update(tags or {})
    if parent_run_id:
        client.get_run(parent_run_id)  # must exist
        all_tags[fmt.TAG_PARENT_RUN_ID] = parent_run_id
    if description is not None:
        all_tags[fmt.TAG_DESCRIPTION] = description
    exp = str(experiment_id) if experiment_id is not None else _current_experiment_id(client)
    return client.create_run(exp, tags=all_tags, run_name=run_name)


def _resume(
    client: Client,
    run_id: str,
    run_name: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    existing = client.get_run(run_id)
    if existing.info.lifecycle_stage != "active":
        raise InvalidParameterError(f"run {run_id!r} is deleted; restore it before resuming it")
    extra = dict(tags or {})
    if description is not None:
        extra[fmt.TAG_DESCRIPTION] = description
    if extra:
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in extra.items()])
    client.update_run(run_id, status=RunStatus.RUNNING, name=run_name)
    return client.get_run(run_id)


def end_run(status: str = RunStatus.FINISHED, run_id: str | None = None) -> None:
    """End the active run (or ``run_id``) with ``status``; a no-op when no run is active."""
    global _last_active_run_id
    target = active_run() if run_id is None else _find_active(run_id)
    if target is None:
        return
    _forget(target)
    target._client.set_terminated(target.info.run_id, RunStatus.validate(status))
    _last_active_run_id = target.info.run_id


def _find_active(run_id: str) -> ActiveRun | None:
    for run in reversed(_process_runs):
        if run.info.run_id == run_id:
            return run
    return None


def _forget(run: ActiveRun) -> None:
    stack = _run_stack.get()
    if run in stack:
        _run_stack.set(tuple(r for r in stack if r is not run))
    with _process_lock:
        if run in _process_runs:
            _process_runs.remove(run)


def _end_all(status: str) -> None:
    while _process_runs:
        run = _process_runs[-1]
        try:
            end_run(status, run_id=run.info.run_id)
        except Exception:  # the folder may be gone at exit; never hang the interpreter
            _forget(run)


def _end_all_killed() -> None:
    _end_all(RunStatus.KILLED)


atexit.register(_end_all, RunStatus.FINISHED)


def _run_for_logging() -> ActiveRun:
    run = active_run()
    return run if run is not None else start_run()


def _target(run_id: str | None) -> tuple[Client, str]:
    """The client and run id a logging call writes to (starting a run if none is active)."""
    if run_id is not None:
        return _client(), run_id
    run = _run_for_logging()
    return run._client, run.info.run_id


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def set_terminated(run_id: str, status: str | None = None) -> None:
    _client().set_terminated(run_id, status)


# ---------------------------------------------------------------- logging


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    *,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    """Log one metric point to the active run (buffered; flushed at least once a second)."""
    if run_id is None:
        stack = _run_stack.get()
        buffer = (stack[-1] if stack else _run_for_logging())._buffer
    else:
        buffer = _client().metric_buffer(run_id)
    if key not in _valid_keys:
        validation.validate_key(key, "metric")
    if type(value) is not float:
        value = validation.metric_value(key, value)
    buffer.add(
        key,
        now_ms() if timestamp is None else validation.timestamp_ms(key, timestamp),
        0
        if step is None
        else (step if type(step) is int and _I64_MIN <= step <= _I64_MAX else _step(key, step)),
        value,
    )
    if synchronous:
        buffer.flush()


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    *,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    for key, value in metrics.items():
        log_metric(key, value, step, timestamp, synchronous=False, run_id=run_id)
    if synchronous:
        client, target = _target(run_id)
        client.metric_buffer(target).flush()


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log a param (stored as a string) and return ``value``; a changed value is an error."""
    client, target = _target(None)
    return client.log_param(target, key, value)


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> None:
    """Log params in batches of 100; all are checked before the first batch is written."""
    client, target = _target(run_id)
    items = [Param(k, v) for k, v in params.items()]
    if len(items) > validation.MAX_PARAMS_PER_BATCH:
        for item in items:
            validation.param_value(validation.validate_key(item.key, "param"), item.value)
        client.check_room(target, params=params)
    for chunk in _chunks(items, validation.MAX_PARAMS_PER_BATCH):
        client.log_batch(target, params=chunk)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    client, target = _target(None)
    client.set_tag(target, key, value)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> None:
    """Set tags in batches of 100; all are checked before the first batch is written."""
    client, target = _target(None)
    items = [RunTag(k, v) for k, v in tags.items()]
    if len(items) > validation.MAX_TAGS_PER_BATCH:
        for item in items:
            validation.tag_value(validation.validate_key(item.key, "tag"), item.value)
        client.check_room(target, tags=tags)
    for chunk in _chunks(items, validation.MAX_TAGS_PER_BATCH):
        client.log_batch(target, tags=chunk)


def delete_tag(key: str) -> None:
    client, target = _target(None)
    client.delete_tag(target, key)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------- artifacts


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    client, target = _target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    client, target = _target(run_id)
    client.log_text(target, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    client, target = _target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
) -> None:
    """Save a matplotlib figure or altair chart as an artifact (format from the file suffix)."""
    client, target = _target(None)
    client.log_figure(target, figure, artifact_file)


def log_image(image: Any, artifact_file: str | None = None, **kwargs: Any) -> None:
    """Save a numpy array or PIL image as a PNG artifact."""
    if artifact_file is None:
        raise InvalidParameterError("log_image needs artifact_file, e.g. 'images/sample.png'")
    client, target = _target(None)
    client.log_image(target, image, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The ``file://`` URI of the active run's artifacts folder (or of a path inside it)."""
    run = _run_for_logging()
    base = run.info.artifact_uri
    if not artifact_path:
        return base
    target = run._client.artifacts_dir(run.info.run_id)
    from runreport.tracking.artifacts import destination

    destination(target, artifact_path)
    return f"{base}/{artifact_path.strip('/')}"


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    return _client().get_metric_history(run_id, key)


def run_folder(run_id: str | None = None) -> Path:
    """The folder of ``run_id`` (default: the active run)."""
    run = active_run()
    target = run_id or (run.info.run_id if run else None)
    if target is None:
        raise ResourceNotFoundError("no run is active; pass run_id or call start_run() first")
    return _client().run_dir(target)


# ---------------------------------------------------------------- search

SEARCH_MAX_RESULTS_DEFAULT = 100_000


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = 1,
    max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> Any:
    """Search runs with MLflow's filter syntax (plus OR and parentheses).

    With no experiment ids or names, searches the active experiment (all experiments when
    ``search_all_experiments``). Returns a pandas DataFrame with MLflow's columns, or a list of
    :class:`Run` with ``output_format="list"``.

    Raises:
        FilterSyntaxError: the filter or an order_by clause is invalid; the message points at it.
    """
    if output_format not in ("pandas", "list"):
        raise InvalidParameterError(
            f"output_format {output_format!r} is not valid; expected 'pandas' or 'list'"
        )
    client = _client()
    ids = _experiment_ids_for_search(
        client, experiment_ids, experiment_names, search_all_experiments
    )
    with gc_paused():  # the frame's many small objects too: one collection at the end
        runs = list(client.search_runs(ids, filter_string, run_view_type, max_results, order_by))
        if output_format == "list":
            return runs
        from runreport.tracking.frames import runs_to_frame

        return runs_to_frame(runs)


def _experiment_ids_for_search(
    client: Client,
    experiment_ids: list[str] | None,
    experiment_names: list[str] | None,
    search_all: bool,
) -> list[str]:
    if experiment_ids is not None and experiment_names is not None:
        raise InvalidParameterError("give experiment_ids or experiment_names, not both")
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    if experiment_names is not None:
        found = [client.get_experiment_by_name(name) for name in experiment_names]
        return [e.experiment_id for e in found if e is not None]
    if experiment_ids:
        return [str(e) for e in experiment_ids]
    if search_all:
        return [e.experiment_id for e in client.search_experiments(view_type=3)]
    return [_current_experiment_id(client)]
