"""``runreport.Client``: MlflowClient's tracking methods, by the same names and arguments."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from runreport.exceptions import (
    InvalidParameterError,
    InvalidStateError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from runreport.registry.client import RegistryClientMixin
from runreport.store import format as fmt
from runreport.store import ids, parse, reader, writer
from runreport.store.parse import RecordTest, RowsTest
from runreport.tracking import artifacts, validation
from runreport.tracking.buffer import MetricBuffer, registry
from runreport.tracking.context import current_user
from runreport.tracking.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from runreport.tracking.location import root_for

logger = logging.getLogger("runreport")

_run_dir_cache: dict[tuple[Path, str], Path] = {}


class PagedList(list):  # type: ignore[type-arg]
    """A page of results; ``token`` fetches the next page (None on the last one)."""

    def __init__(self, items: Iterable[Any], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def _page(items: list[Any], max_results: int | None, page_token: str | None) -> PagedList:
    start = 0
    if page_token:
        try:
            start = int(json.loads(base64.b64decode(page_token))["offset"])
        except (ValueError, KeyError, TypeError):
            raise InvalidParameterError(f"page token {page_token!r} is not valid") from None
    if max_results is None:
        return PagedList(items[start:], None)
    if not isinstance(max_results, int) or max_results < 1:
        raise InvalidParameterError(f"max_results is {max_results!r}; expected a positive integer")
    end = start + max_results
    token = (
        base64.b64encode(json.dumps({"offset": end}).encode()).decode()
        if end < len(items)
        else None
    )
    return PagedList(items[start:end], token)


class Client(RegistryClientMixin):
    """Tracking client over one runs folder (the tracking URI in force when it is created)."""

    def __new__(cls, tracking_uri: str | None = None, registry_uri: str | None = None) -> Client:
        """A client over an MLflow store (``mlruns/``, ``sqlite:///mlflow.db``) is read-only."""
        if cls is Client:
            from runreport.tracking.foreign import ReadOnlyClient, is_foreign

            if is_foreign(tracking_uri):
                return super().__new__(ReadOnlyClient)
        return super().__new__(cls)

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self.root = root_for(tracking_uri)
        self.registry_uri = registry_uri

    # ------------------------------------------------------------ experiments

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        """Create an experiment and return its id.

        Raises:
            ResourceExistsError: an experiment of that name exists (even a deleted one).
        """
        if artifact_location is not None:
            raise InvalidParameterError(
                "artifact_location is not supported: runreport keeps artifacts in each run folder"
            )
        validation.experiment_name(name)
        clean = {
            validation.validate_key(k, "tag"): validation.tag_value(k, v)
            for k, v in (tags or {}).items()
        }
        return writer.create_experiment(self.root, name, clean).experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        folder = self.root / str(experiment_id)
        if (
            not str(experiment_id)
            or "/" in str(experiment_id)
            or not (folder / fmt.EXPERIMENT_FILE).is_file()
        ):
            raise ResourceNotFoundError(
                f"experiment id {experiment_id!r} does not exist in {self.root}; "
                f"known ids: {', '.join(self._experiment_ids()) or 'none'}"
            )
        return reader.to_experiment(reader.read_experiment_record(folder), self.root)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        record = reader.find_experiment_by_name(self.root, name)
        return None if record is None else reader.to_experiment(record, self.root)

    def get_or_create_experiment(self, name: str) -> Experiment:
        validation.experiment_name(name)
        return reader.to_experiment(writer.get_or_create_experiment(self.root, name), self.root)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        from runreport import search

        stages = ViewType.lifecycle_stages(view_type)
        matches = search.compile_experiment_filter(filter_string)
        experiments = [e for e in self._all_experiments() if e.lifecycle_stage in stages]
        chosen = search.sort_experiments([e for e in experiments if matches(e)], order_by)
        return _page(chosen, max_results, page_token)

    def _all_experiments(self) -> list[Experiment]:
        return [reader.to_experiment(r, self.root) for r in reader.experiment_records(self.root)]

    def delete_experiment(self, experiment_id: str) -> None:
        self.get_experiment(experiment_id)
        writer.update_experiment(self.root, experiment_id, _set_stage(LifecycleStage.DELETED))

    def restore_experiment(self, experiment_id: str) -> None:
        self.get_experiment(experiment_id)
        writer.update_experiment(self.root, experiment_id, _set_stage(LifecycleStage.ACTIVE))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validation.experiment_name(new_name)
        other = reader.find_experiment_by_name(self.root, new_name)
        if other is not None and other.experiment_id != str(experiment_id):
            raise ResourceExistsError(
                f"experiment {new_name!r} already exists with id {other.experiment_id}"
            )
        self.get_experiment(experiment_id)
        writer.update_experiment(self.root, experiment_id, lambda r: setattr(r, "name", new_name))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        validation.validate_key(key, "tag")
        text = validation.tag_value(key, value)
        self.get_experiment(experiment_id)
        writer.update_experiment(self.root, experiment_id, lambda r: r.tags.__setitem__(key, text))

    def _experiment_ids(self) -> list[str]:
        return [folder.name for folder in reader.experiment_dirs(self.root)]

    # ------------------------------------------------------------ runs

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        experiment = self.get_experiment(str(experiment_id))
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidStateError(
                f"experiment {experiment.name!r} (id {experiment.experiment_id}) is deleted; "
                "restore it before creating runs in it"
            )
        clean = {
            validation.validate_key(k, "tag"): validation.tag_value(k, v)
            for k, v in (tags or {}).items()
        }
        meta = {attr: clean.pop(tag) for tag, attr in fmt.META_TAGS.items() if tag in clean}
        if len(clean) > validation.MAX_TAGS_PER_RUN:
            raise InvalidParameterError(
                f"a run cannot start with {len(clean)} tags; at most "
                f"{validation.MAX_TAGS_PER_RUN:,} tags per run allowed"
            )
        name = run_name or meta.get("run_name") or ids.new_run_name()
        started = (
            writer.now_ms() if start_time is None else validation.run_time("start_time", start_time)
        )
        record = fmt.RunRecord(
            run_id=ids.new_run_id(),
            experiment_id=experiment.experiment_id,
            run_name=validation.run_name(name),
            start_time=started,
            user_id=meta.get("user_id") or current_user(),
            parent_run_id=meta.get("parent_run_id"),
            description=meta.get("description"),
            tags=clean,
        )
        run_dir = writer.create_run(self.root, record)
        _run_dir_cache[(self.root, record.run_id)] = run_dir
        return reader.to_run(record, {}, run_dir.parent.absolute().as_uri())

    def run_dir(self, run_id: str) -> Path:
        """The folder of run ``run_id``.

        Raises:
            ResourceNotFoundError: no such run under this client's root.
        """
        cached = _run_dir_cache.get((self.root, run_id))
        if cached is not None and (cached / fmt.RUN_FILE).is_file():
            return cached
        found = reader.find_run_dir(self.root, str(run_id))
        if found is None:
            raise ResourceNotFoundError(f"run {run_id!r} does not exist in {self.root}")
        _run_dir_cache[(self.root, run_id)] = found
        return found

    def get_run(self, run_id: str) -> Run:
        registry.flush(run_id)
        return reader.read_run(self.run_dir(run_id))

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        def change(record: fmt.RunRecord) -> None:
            if status is not None:
                record.status = RunStatus.validate(status)
            if name is not None:
                record.run_name = validation.run_name(name)

        writer.update_run(self.run_dir(run_id), change)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """End a run: flush its metrics, set its status (default FINISHED) and end time."""
        final = RunStatus.validate(status or RunStatus.FINISHED)
        registry.close(run_id)
        ended = writer.now_ms() if end_time is None else validation.run_time("end_time", end_time)

        def change(record: fmt.RunRecord) -> None:
            record.status, record.end_time = final, ended

        writer.update_run(self.run_dir(run_id), change)

    def delete_run(self, run_id: str) -> None:
        writer.update_run(self.run_dir(run_id), _set_stage(LifecycleStage.DELETED))

    def restore_run(self, run_id: str) -> None:
        writer.update_run(self.run_dir(run_id), _set_stage(LifecycleStage.ACTIVE))

    # ------------------------------------------------------------ params, tags, metrics

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        self.log_batch(run_id, params=[Param(key, value)])
        return value

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self.log_batch(run_id, tags=[RunTag(key, value)])

    def delete_tag(self, run_id: str, key: str) -> None:
        def change(record: fmt.RunRecord) -> None:
            _check_active(record)
            if key in fmt.META_TAGS and getattr(record, fmt.META_TAGS[key]):
                setattr(record, fmt.META_TAGS[key], "" if key == fmt.TAG_RUN_NAME else None)
            elif record.tags.pop(key, None) is None:
                raise ResourceNotFoundError(f"run {run_id!r} has no tag {key!r}")

        writer.update_run(self.run_dir(run_id), change)

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        validation.validate_key(key, "metric")
        ts = writer.now_ms() if timestamp is None else validation.timestamp_ms(key, timestamp)
        buffer = self.metric_buffer(run_id)
        buffer.add(key, ts, validation.metric_step(key, step), validation.metric_value(key, value))
        if synchronous:
            buffer.flush()

    def metric_buffer(self, run_id: str) -> MetricBuffer:
        return registry.get(run_id, self.run_dir(run_id))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log metrics, params and tags in one step; params and tags in one locked write."""
        _check_batch_sizes(metrics, params, tags)
        new_params = {
            validation.validate_key(p.key, "param"): validation.param_value(p.key, p.value)
            for p in params
        }
        new_tags = {
            validation.validate_key(t.key, "tag"): validation.tag_value(t.key, t.value)
            for t in tags
        }
        if new_params or new_tags:
            writer.update_run(self.run_dir(run_id), lambda r: _apply(r, new_params, new_tags))
        for m in metrics:
            self.log_metric(run_id, m.key, m.value, m.timestamp, m.step)
        if metrics and synchronous:
            registry.flush(run_id)

    def check_room(self, run_id: str, params: Iterable[str] = (), tags: Iterable[str] = ()) -> None:
        """Raise if logging these param and tag keys would pass the run's per-run limits."""
        _check_room(parse.read_run_record(self.run_dir(run_id)), params, tags)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        registry.flush(run_id)
        return reader.read_metric_history(self.run_dir(run_id), key)

    # ------------------------------------------------------------ search

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """Runs of the experiments matching ``filter_string`` (MLflow's syntax, plus OR)."""
        from runreport import search

        matches = search.compile_filter(filter_string)
        search.parse_order_by(order_by)  # invalid clauses fail before any folder is read
        stages = ViewType.lifecycle_stages(run_view_type)
        wanted = [experiment_ids] if isinstance(experiment_ids, (str, int)) else experiment_ids
        with reader.gc_paused():
            runs, skipped = self._scan([str(e) for e in wanted], *_pushdown(filter_string, stages))
            chosen = [r for r in runs if r.info.lifecycle_stage in stages and matches(r)]
            found = _page(search.sort_runs(chosen, order_by), max_results, page_token)
        for bad in skipped:
            logger.warning("skipped run folder %s: %s", bad.path, bad.reason)
        return found

    def _scan(
        self,
        experiment_ids: list[str],
        keep: RecordTest | None = None,
        keep_rows: RowsTest | None = None,
    ) -> tuple[list[Run], list[reader.SkippedRun]]:
        registry.flush_all()  # this process's buffered points are part of the answer
        return reader.scan_runs(self.root, experiment_ids, keep, keep_rows)

    # ------------------------------------------------------------ artifacts

    def artifacts_dir(self, run_id: str) -> Path:
        return self.run_dir(run_id) / fmt.ARTIFACTS_DIR

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.log_file(self.artifacts_dir(run_id), local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.log_folder(self.artifacts_dir(run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        artifacts.write_text(self.artifacts_dir(run_id), artifact_file, text)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        artifacts.write_text(
            self.artifacts_dir(run_id),
            artifact_file,
            artifacts.dict_text(dictionary, artifact_file),
        )

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        target = artifacts.destination(self.artifacts_dir(run_id), artifact_file, "artifact_file")
        artifacts.save_figure(figure, target)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        target = artifacts.destination(self.artifacts_dir(run_id), artifact_file, "artifact_file")
        artifacts.save_image(image, target)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        base = self.artifacts_dir(run_id)
        artifacts.destination(base, path, "path")
        return reader.list_artifacts(base, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return artifacts.download(self.artifacts_dir(run_id), path, dst_path)


def _pushdown(filter_string: str, stages: Iterable[str]) -> tuple[RecordTest, RowsTest | None]:
    """The tests a scan decides on each run's record and metric summary before making it.

    The record test holds the view type and the filter's clauses on params, tags and
    attributes. A filter with no such clause but clauses on metrics gets a test on the latest
    metric values, decided on ``summary.json`` before the record is read (the view type is
    then checked on the records of the runs that pass).
    """
    from runreport import search

    wanted_stages = frozenset(stages)
    on_record = search.compile_record_prefilter(filter_string)
    on_metrics = None if on_record else search.compile_metric_prefilter(filter_string)

    def keep(record: fmt.RunRecord) -> bool:
        return record.lifecycle_stage in wanted_stages and (on_record is None or on_record(record))

    if on_metrics is None:
        return keep, None
    return keep, lambda rows: on_metrics({key: row[fmt.VALUE] for key, row in rows.items()})


RunReportClient = Client
MlflowClient = Client


def _set_stage(stage: str) -> Any:
    return lambda record: setattr(record, "lifecycle_stage", stage)


def _check_active(record: fmt.RunRecord) -> None:
    if record.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidStateError(f"run {record.run_id!r} is deleted; restore it before changing it")


def _apply(record: fmt.RunRecord, params: dict[str, str], tags: dict[str, str]) -> None:
    _check_active(record)
    _check_room(record, params, tags)
    for key, value in params.items():
        old = record.params.get(key)
        if old is not None and old != value:
            raise InvalidParameterError(
                f"param {key!r} was already logged with value {old!r} for run {record.run_id!r}; "
                f"changing it to {value!r} is not allowed (params are immutable; use a tag or a "
                "new run)"
            )
    record.params.update(params)
    for key, value in tags.items():
        attribute = fmt.META_TAGS.get(key)
        if attribute is None:
            record.tags[key] = value
        else:
            setattr(record, attribute, value)


def _check_room(record: fmt.RunRecord, params: Iterable[str], tags: Iterable[str]) -> None:
    """The per-run limits on params and tags (the meta tags, stored as fields, do not count)."""
    validation.check_run_room(record.run_id, "param", record.params, params)
    stored = [key for key in tags if key not in fmt.META_TAGS]
    validation.check_run_room(record.run_id, "tag", record.tags, stored)


def _check_batch_sizes(metrics: Sequence[Any], params: Sequence[Any], tags: Sequence[Any]) -> None:
    limits = (
        (metrics, validation.MAX_METRICS_PER_BATCH, "metrics"),
        (params, validation.MAX_PARAMS_PER_BATCH, "params"),
        (tags, validation.MAX_TAGS_PER_BATCH, "tags"),
    )
    for items, limit, what in limits:
        if len(items) > limit:
            raise InvalidParameterError(
                f"a batch holds {len(items)} {what}; at most {limit} allowed"
            )
