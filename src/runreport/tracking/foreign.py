"""A read-only :class:`~runreport.tracking.client.Client` over an MLflow store.

``Client("mlruns")``, ``Client("sqlite:///mlflow.db")`` and ``set_tracking_uri(...)`` with such
a location give the same read API (get_run, search_runs, get_metric_history, artifacts,
experiments) through :mod:`runreport.store.sources`; every write is refused with a message that
says how to convert the store (``runreport import mlflow``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from runreport.exceptions import InvalidStateError, ResourceNotFoundError
from runreport.store.sources import RUNREPORT, RunSource, detect_kind, open_source, path_of
from runreport.tracking.artifacts import destination, download
from runreport.tracking.client import Client
from runreport.tracking.entities import Experiment, FileInfo, Metric, Run
from runreport.tracking.location import get_tracking_uri

_kinds: dict[tuple[str, int], str] = {}


def is_foreign(tracking_uri: str | None) -> bool:
    """True when the URI names an MLflow store rather than runreport's run folders."""
    text = get_tracking_uri() if tracking_uri is None else os.fspath(tracking_uri)
    if text.startswith("sqlite:"):
        return True
    if "://" in text and not text.startswith("file:"):
        return False  # location.root_for reports unsupported schemes
    path = path_of(text)
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return False
    key = (str(path), stamp)
    if key not in _kinds:
        _kinds[key] = detect_kind(path)
    return _kinds[key] != RUNREPORT


class ReadOnlyClient(Client):
    """The tracking client over an MLflow ``mlruns/`` folder or SQLite file."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self.source: RunSource = open_source(
            get_tracking_uri() if tracking_uri is None else tracking_uri
        )
        self.root = self.source.location
        self.registry_uri = registry_uri

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise InvalidStateError(
            f"{self.root} is an MLflow store ({self.source.kind}); runreport reads it but does not "
            f"write to it. Convert it with: runreport import mlflow {self.root} --to runs"
        )

    create_experiment = get_or_create_experiment = delete_experiment = _refuse
    restore_experiment = rename_experiment = set_experiment_tag = _refuse
    create_run = update_run = set_terminated = delete_run = restore_run = _refuse
    log_param = set_tag = delete_tag = log_metric = log_batch = metric_buffer = _refuse
    log_artifact = log_artifacts = log_text = log_dict = log_figure = log_image = _refuse

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.source.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self.source.experiments() if e.name == name), None)

    def _all_experiments(self) -> list[Experiment]:
        return self.source.experiments()

    def _experiment_ids(self) -> list[str]:
        return [e.experiment_id for e in self.source.experiments()]

    def run_dir(self, run_id: str) -> Path:
        return Path(self.source.get_run(run_id).source)

    def get_run(self, run_id: str) -> Run:
        return self.source.get_run(run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self.source.metric_history(run_id, key)

    def _scan(
        self,
        experiment_ids: list[str],
        keep: Callable[[Any], bool] | None = None,
        keep_rows: Callable[[Any], bool] | None = None,
    ) -> tuple[list[Run], list[Any]]:
        # MLflow's stores are read whole: the tests are only shortcuts, the caller filters again.
        return self.source.scan_runs(experiment_ids)

    def artifacts_dir(self, run_id: str) -> Path:
        found = self.source.artifacts_dir(run_id)
        if found is None:
            uri = self.source.get_run(run_id).info.artifact_uri
            raise ResourceNotFoundError(f"the artifacts of run {run_id!r} are not local: {uri}")
        return found

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        base = self.source.artifacts_dir(run_id)
        if base is None:
            return []
        destination(base, path, "path")
        return self.source.list_artifacts(run_id, path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return download(self.artifacts_dir(run_id), path, dst_path)

    # ------------------------------------------------------------ MLflow's own registry

    def _registry_file(self) -> Any:
        if self.registry_uri is not None:  # an explicit stages.yaml still works
            return super()._registry_file()
        self._refuse()

    def _read(self) -> tuple[Any, Any]:
        """MLflow's registry (from the store) unless a stages.yaml was named explicitly."""
        if self.registry_uri is not None:
            return super()._read()
        from runreport.registry.stages import ModelRecord, Registry, VersionRecord

        registry = Registry(str(self.source.location))
        self._foreign_run_ids: dict[tuple[str, int], str | None] = {}
        for model in self.source.registry():
            record = ModelRecord(
                model.name, model.description, tags=dict(model.tags), aliases=dict(model.aliases)
            )
            for v in model.versions:
                record.versions[v.version] = VersionRecord(
                    v.version, v.source, v.stage, v.description, dict(v.tags)
                )
                self._foreign_run_ids[(model.name, v.version)] = v.run_id
            registry.models[model.name] = record
        return _StoreRegistryFile(self.source.location), registry

    def _version_entity(self, file: Any, model: Any, record: Any) -> Any:
        if not isinstance(file, _StoreRegistryFile):
            return super()._version_entity(file, model, record)
        from runreport.registry.entities import to_model_version

        return to_model_version(
            model, record, self._foreign_run_ids.get((model.name, record.version))
        )


class _StoreRegistryFile:
    """Stands where a stages.yaml would: MLflow's registry is read from the store itself."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder if folder.is_dir() else folder.parent
        self.path = folder
