"""Where runs come from: runreport's run folders, MLflow's ``mlruns/`` or an MLflow SQLite file.

:func:`open_source` looks at a path and picks the reader; every reader returns the same
entities (:class:`~runreport.tracking.entities.Run`, ``Experiment``, ``Metric``), so search,
the CLI and the site work the same on each. MLflow sources are read-only: MLflow itself is
never imported.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.store import format as fmt
from runreport.store import reader
from runreport.store.reader import SkippedRun
from runreport.tracking.entities import Experiment, FileInfo, Metric, Run

RUNREPORT = "runreport"
MLRUNS = "mlruns"
MLFLOW_SQLITE = "mlflow-sqlite"


@dataclass(slots=True)
class RegistryVersion:
    """One version of a model in a foreign (MLflow) registry."""

    version: int
    stage: str
    source: str
    run_id: str | None
    description: str | None
    tags: dict[str, str] = field(default_factory=dict)
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None


@dataclass(slots=True)
class RegistryModel:
    """A registered model of a foreign (MLflow) registry, with its live versions."""

    name: str
    description: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: list[RegistryVersion] = field(default_factory=list)


class RunSource(ABC):
    """A readable store of experiments and runs."""

    kind: str = ""
    read_only: bool = True

    def __init__(self, location: Path) -> None:
        self.location = location

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.location}>"

    @abstractmethod
    def experiments(self) -> list[Experiment]:
        """Every experiment, active and deleted."""

    @abstractmethod
    def scan_runs(
        self, experiment_ids: list[str] | None = None
    ) -> tuple[list[Run], list[SkippedRun]]:
        """Every run (all lifecycle stages) of the experiments, plus the ones that were skipped."""

    @abstractmethod
    def get_run(self, run_id: str) -> Run:
        """One run; ResourceNotFoundError when it does not exist."""

    @abstractmethod
    def metric_history(self, run_id: str, key: str | None = None) -> list[Metric]:
        """Every point of a run's metric (of every metric when ``key`` is None)."""

    @abstractmethod
    def artifacts_dir(self, run_id: str) -> Path | None:
        """The local folder holding the run's artifacts, or None when they are not local."""

    def model_dirs(self, run_id: str) -> dict[str, Path]:
        """Model folders of a run by artifact path (those holding an ``MLmodel`` file)."""
        base = self.artifacts_dir(run_id)
        if base is None or not base.is_dir():
            return {}
        found = {}
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            if "MLmodel" in files:
                found[os.path.relpath(folder, base).replace(os.sep, "/")] = Path(folder)
                dirs[:] = []
        return dict(sorted(found.items()))

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        base = self.artifacts_dir(run_id)
        return [] if base is None else reader.list_artifacts(base, path)

    def registry(self) -> list[RegistryModel]:
        """Registered models kept by the source itself (MLflow's registry); none for run folders."""
        return []

    def get_experiment(self, experiment_id: str) -> Experiment:
        for experiment in self.experiments():
            if experiment.experiment_id == str(experiment_id):
                return experiment
        raise ResourceNotFoundError(
            f"experiment id {experiment_id!r} does not exist in {self.location}"
        )


class RunFolderSource(RunSource):
    """runreport's own run folders (``docs/format.md``)."""

    kind = RUNREPORT
    read_only = False

    def experiments(self) -> list[Experiment]:
        return [
            reader.to_experiment(r, self.location) for r in reader.experiment_records(self.location)
        ]

    def scan_runs(
        self, experiment_ids: list[str] | None = None
    ) -> tuple[list[Run], list[SkippedRun]]:
        return reader.scan_runs(self.location, experiment_ids)

    def _run_dir(self, run_id: str) -> Path:
        found = reader.find_run_dir(self.location, run_id)
        if found is None:
            raise ResourceNotFoundError(f"run {run_id!r} does not exist in {self.location}")
        return found

    def get_run(self, run_id: str) -> Run:
        return reader.read_run(self._run_dir(run_id))

    def metric_history(self, run_id: str, key: str | None = None) -> list[Metric]:
        return reader.read_metric_history(self._run_dir(run_id), key)

    def artifacts_dir(self, run_id: str) -> Path | None:
        return self._run_dir(run_id) / fmt.ARTIFACTS_DIR


def path_of(uri: str | os.PathLike[str]) -> Path:
    """The local path a folder path, ``file://`` or ``sqlite:///`` URI names."""
    text = os.fspath(uri)
    if text.startswith("sqlite:"):
        rest = text[len("sqlite:") :]
        if not rest.startswith("///"):
            raise InvalidParameterError(
                f"SQLite URI {text!r} must look like sqlite:///path/to/mlflow.db"
            )
        return Path(unquote(rest[3:])).absolute()  # sqlite:///rel.db, sqlite:////abs/path.db
    if text.startswith("file:"):
        return Path(unquote(urlsplit(text).path)).absolute()
    return Path(text).expanduser().absolute()


def detect_kind(path: Path) -> str:
    """Which reader a path needs: a SQLite file, an ``mlruns/`` folder or run folders."""
    if path.is_file():
        with open(path, "rb") as handle:
            if handle.read(16) == b"SQLite format 3\x00":
                return MLFLOW_SQLITE
        raise InvalidParameterError(f"{path} is a file but not an SQLite database (an mlflow.db)")
    if path.is_dir() and not reader.experiment_dirs(path):
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.name == ".trash" or (
                    entry.is_dir() and os.path.isfile(os.path.join(entry.path, "meta.yaml"))
                ):
                    return MLRUNS
    return RUNREPORT


def open_source(uri: str | os.PathLike[str]) -> RunSource:
    """The reader for ``uri``: runreport run folders, MLflow's ``mlruns/`` or ``mlflow.db``.

    Raises:
        InvalidParameterError: the path is a file that is not an SQLite database.
    """
    path = path_of(uri)
    kind = MLFLOW_SQLITE if os.fspath(uri).startswith("sqlite:") else detect_kind(path)
    if kind == MLRUNS:
        from runreport.store.mlflow_files import MlrunsSource

        return MlrunsSource(path)
    if kind == MLFLOW_SQLITE:
        from runreport.store.mlflow_db import MlflowDbSource

        return MlflowDbSource(path)
    return RunFolderSource(path)
