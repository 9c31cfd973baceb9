"""Reading MLflow's file store (``mlruns/``) without MLflow.

Layout read here (MLflow 1.x to 3.x)::

    mlruns/<experiment_id>/meta.yaml            experiment (name, lifecycle_stage, times)
    mlruns/<experiment_id>/tags/<key>           experiment tags
    mlruns/<experiment_id>/<run_id>/meta.yaml   run (integer status, ms times, artifact_uri)
    mlruns/<experiment_id>/<run_id>/params/<key>, tags/<key>, metrics/<key>
    mlruns/<experiment_id>/<run_id>/outputs/<model_id>/meta.yaml   MLflow 3 model outputs
    mlruns/<experiment_id>/models/<model_id>/artifacts             MLflow 3 logged models
    mlruns/.trash/<experiment_id>/...            deleted experiments
    mlruns/models/<name>/meta.yaml, version-<n>/meta.yaml, aliases/<alias>   the registry

Keys holding ``/`` are stored as sub-folders. Metric files hold ``timestamp value step`` lines
(also the 2- and 5-field variants); the latest value is MLflow's: the highest
``(step, timestamp, value)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from runreport.exceptions import ResourceNotFoundError, RunFormatError
from runreport.store import format as fmt
from runreport.store.reader import SkippedRun, to_run
from runreport.store.sources import MLRUNS, RegistryModel, RegistryVersion, RunSource
from runreport.tracking.entities import Experiment, Metric, Run, RunStatus

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

TRASH = ".trash"
REGISTRY_DIR = "models"
META = "meta.yaml"
DELETED_STAGE = "Deleted_Internal"


def load_meta(path: Path | str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = yaml.load(handle, Loader=_Loader)  # a safe loader (CSafeLoader)
    except yaml.YAMLError as exc:
        raise RunFormatError(path, f"not valid YAML ({exc})") from None
    except OSError as exc:
        raise RunFormatError(path, f"cannot be read ({exc.strerror})") from None
    if not isinstance(data, dict):
        raise RunFormatError(path, "expected a YAML mapping")
    return data


def read_key_files(folder: str) -> dict[str, str]:
    """``params/`` or ``tags/``: one file per key, sub-folders for keys holding ``/``."""
    found: dict[str, str] = {}
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
        for name in files:
            path = os.path.join(parent, name)
            with open(path, encoding="utf-8", errors="replace") as handle:
                found[os.path.relpath(path, folder).replace(os.sep, "/")] = handle.read()
    return found


def parse_metric_line(line: str) -> tuple[int, float, int] | None:
    """``(timestamp, value, step)`` of one history line, or None for a malformed one."""
    parts = line.split()
    if len(parts) < 2:
        return None
    try:
        return int(parts[0]), float(parts[1]), int(parts[2]) if len(parts) >= 3 else 0
    except ValueError:
        return None


def read_metric_file(path: str) -> list[tuple[int, float, int]]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return [p for p in map(parse_metric_line, handle) if p is not None]


def _summary_row(points: list[tuple[int, float, int]]) -> fmt.SummaryRow:
    timestamp, value, step = max(points, key=lambda p: (p[2], p[0], p[1]))
    finite = [p[1] for p in points if p[1] == p[1]]
    low, high = (min(finite), max(finite)) if finite else (float("nan"), float("nan"))
    return [value, timestamp, step, low, high, len(points)]


def _local_path(uri: str) -> Path | None:
    if uri.startswith("file:"):
        return Path(unquote(urlsplit(uri).path))
    if "://" not in uri and uri:
        return Path(uri)
    return None


class MlrunsSource(RunSource):
    """An MLflow file store, read-only."""

    kind = MLRUNS

    # ------------------------------------------------------------ experiments

    def _experiment_dirs(self) -> list[tuple[Path, str]]:
        """(folder, lifecycle default) for every experiment, active then trashed."""
        found = []
        for base, stage in ((self.location, "active"), (self.location / TRASH, "deleted")):
            if not base.is_dir():
                continue
            for entry in sorted(os.scandir(base), key=lambda e: e.name):
                if entry.name in (TRASH, REGISTRY_DIR) and base == self.location:
                    continue
                if entry.is_dir() and os.path.isfile(os.path.join(entry.path, META)):
                    found.append((Path(entry.path), stage))
        return found

    def experiments(self) -> list[Experiment]:
        result = []
        for folder, stage in self._experiment_dirs():
            try:
                result.append(self._experiment(folder, stage))
            except RunFormatError:
                continue
        return result

    def _experiment(self, folder: Path, stage: str) -> Experiment:
        meta = load_meta(folder / META)
        return Experiment(
            experiment_id=str(meta.get("experiment_id", folder.name)),
            name=str(meta.get("name", folder.name)),
            artifact_location=str(meta.get("artifact_location") or folder.as_uri()),
            lifecycle_stage=str(meta.get("lifecycle_stage") or stage),
            tags=read_key_files(str(folder / "tags")),
            creation_time=meta.get("creation_time"),
            last_update_time=meta.get("last_update_time"),
        )

    # ------------------------------------------------------------ runs

    def scan_runs(
        self, experiment_ids: list[str] | None = None
    ) -> tuple[list[Run], list[SkippedRun]]:
        wanted = None if experiment_ids is None else {str(e) for e in experiment_ids}
        runs: list[Run] = []
        skipped: list[SkippedRun] = []
        for folder, _ in self._experiment_dirs():
            if wanted is not None and folder.name not in wanted:
                continue
            for run_dir in self._run_dirs(folder):
                try:
                    runs.append(self._read_run(run_dir))
                except RunFormatError as exc:
                    skipped.append(SkippedRun(str(run_dir), exc.reason))
                except (OSError, ValueError, TypeError, UnicodeDecodeError) as exc:
                    skipped.append(SkippedRun(str(run_dir), f"cannot be read ({exc})"))
        return runs, skipped

    @staticmethod
    def _run_dirs(experiment_dir: Path) -> list[Path]:
        return sorted(
            Path(e.path)
            for e in os.scandir(experiment_dir)
            if e.is_dir()
            and e.name not in ("models", "tags", "datasets", "traces")
            and os.path.isfile(os.path.join(e.path, META))
        )

    def _find_run_dir(self, run_id: str) -> Path:
        if run_id and "/" not in run_id and not run_id.startswith("."):
            for folder, _ in self._experiment_dirs():
                if os.path.isfile(folder / run_id / META):
                    return folder / run_id
        raise ResourceNotFoundError(f"run {run_id!r} does not exist in {self.location}")

    def get_run(self, run_id: str) -> Run:
        return self._read_run(self._find_run_dir(run_id))

    def _read_run(self, run_dir: Path) -> Run:
        meta = load_meta(run_dir / META)
        record = self._record(meta, run_dir)
        rows = {}
        metrics_dir = str(run_dir / "metrics")
        for parent, _dirs, files in os.walk(metrics_dir):
            for name in files:
                points = read_metric_file(os.path.join(parent, name))
                if points:
                    key = os.path.relpath(os.path.join(parent, name), metrics_dir).replace(
                        os.sep, "/"
                    )
                    rows[key] = _summary_row(points)
        run = to_run(record, rows, run_dir.parent.absolute().as_uri())
        run.info.artifact_uri = self._artifact_uri(meta, run_dir)
        run.source = str(run_dir)
        return run

    @staticmethod
    def _record(meta: dict[str, Any], run_dir: Path) -> fmt.RunRecord:
        run_id = str(meta.get("run_id") or meta.get("run_uuid") or "")
        if run_id != run_dir.name:
            raise RunFormatError(run_dir / META, f"run_id {run_id!r} does not match its folder")
        tags = read_key_files(str(run_dir / "tags"))
        status = meta.get("status")
        return fmt.RunRecord(
            run_id=run_id,
            experiment_id=str(meta.get("experiment_id", run_dir.parent.name)),
            run_name=str(meta.get("run_name") or tags.pop(fmt.TAG_RUN_NAME, "") or ""),
            status=RunStatus.to_string(status) if isinstance(status, int) else "RUNNING",
            start_time=meta.get("start_time"),
            end_time=meta.get("end_time"),
            user_id=str(meta.get("user_id") or tags.get(fmt.TAG_USER) or ""),
            parent_run_id=tags.pop(fmt.TAG_PARENT_RUN_ID, None),
            lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
            description=tags.pop(fmt.TAG_DESCRIPTION, None),
            params=read_key_files(str(run_dir / "params")),
            tags={k: v for k, v in tags.items() if k not in (fmt.TAG_RUN_NAME, fmt.TAG_USER)},
        )

    def _artifact_uri(self, meta: dict[str, Any], run_dir: Path) -> str:
        recorded = str(meta.get("artifact_uri") or "")
        local = _local_path(recorded)
        if local is None and recorded:
            return recorded  # remote (s3://, gs://, ...): shown as such
        if local is not None and local.is_dir():
            return local.absolute().as_uri()
        return (run_dir / "artifacts").absolute().as_uri()

    def artifacts_dir(self, run_id: str) -> Path | None:
        run = self.get_run(run_id)
        return _local_path(run.info.artifact_uri)

    def metric_history(self, run_id: str, key: str | None = None) -> list[Metric]:
        metrics_dir = str(self._find_run_dir(run_id) / "metrics")
        history = []
        for parent, _dirs, files in os.walk(metrics_dir):
            for name in sorted(files):
                path = os.path.join(parent, name)
                metric = os.path.relpath(path, metrics_dir).replace(os.sep, "/")
                if key is None or metric == key:
                    history += [
                        Metric(metric, v, ts, step) for ts, v, step in read_metric_file(path)
                    ]
        return history

    def model_dirs(self, run_id: str) -> dict[str, Path]:
        """MLflow 2 models inside the artifacts, plus MLflow 3 models linked from ``outputs/``."""
        found = super().model_dirs(run_id)
        run_dir = self._find_run_dir(run_id)
        outputs = run_dir / "outputs"
        if outputs.is_dir():
            for entry in sorted(os.scandir(outputs), key=lambda e: e.name):
                model_dir = run_dir.parent / "models" / entry.name
                if (model_dir / "artifacts" / "MLmodel").is_file():
                    name = str(load_meta(model_dir / META).get("name") or entry.name)
                    found.setdefault(name, model_dir / "artifacts")
        return found

    def logged_model_dir(self, model_id: str) -> Path | None:
        """The artifacts folder of MLflow 3 logged model ``m-...`` (for ``models:/m-...``)."""
        for folder, _ in self._experiment_dirs():
            candidate = folder / "models" / model_id / "artifacts"
            if candidate.is_dir():
                return candidate
        return None

    # ------------------------------------------------------------ registry

    def registry(self) -> list[RegistryModel]:
        base = self.location / REGISTRY_DIR
        if not base.is_dir():
            return []
        models = []
        for entry in sorted(os.scandir(base), key=lambda e: e.name):
            if entry.is_dir() and os.path.isfile(os.path.join(entry.path, META)):
                try:
                    models.append(self._registered_model(Path(entry.path)))
                except RunFormatError:
                    continue
        return models

    def _registered_model(self, folder: Path) -> RegistryModel:
        meta = load_meta(folder / META)
        aliases = {str(k): int(v) for k, v in (meta.get("aliases") or {}).items()}
        aliases.update(self._alias_files(folder / "aliases"))
        versions = []
        for entry in os.scandir(folder):
            if entry.name.startswith("version-") and os.path.isfile(os.path.join(entry.path, META)):
                version = self._version(Path(entry.path))
                if version is not None:
                    versions.append(version)
        versions.sort(key=lambda v: v.version)
        return RegistryModel(
            name=str(meta.get("name", folder.name)),
            description=meta.get("description"),
            tags=read_key_files(str(folder / "tags")),
            aliases=dict(sorted(aliases.items())),
            versions=versions,
        )

    @staticmethod
    def _alias_files(folder: Path) -> dict[str, int]:
        if not folder.is_dir():
            return {}
        found = {}
        for entry in os.scandir(folder):
            text = Path(entry.path).read_text(encoding="utf-8").strip()
            if text.isdigit():
                found[entry.name] = int(text)
        return found

    def _version(self, folder: Path) -> RegistryVersion | None:
        meta = load_meta(folder / META)
        stage = str(meta.get("current_stage") or "None")
        if stage == DELETED_STAGE:
            return None
        return RegistryVersion(
            version=int(meta.get("version", folder.name.split("-", 1)[1])),
            stage=stage,
            source=str(meta.get("source") or ""),
            run_id=meta.get("run_id"),
            description=meta.get("description"),
            tags=read_key_files(str(folder / "tags")),
            creation_timestamp=meta.get("creation_timestamp"),
            last_updated_timestamp=meta.get("last_updated_timestamp"),
        )
