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

Nothing here trusts a file: ``meta.yaml`` is parsed by PyYAML's safe loader (no tags that build
objects), after a check that it is a regular file of at most :data:`MAX_META_BYTES` that cannot
nest deeper than :data:`MAX_YAML_NESTING` levels (libyaml's composer recurses in C and crashes
the interpreter on very deep input). Every field is checked for its type before use, so a value
such as an alias bomb is refused, never expanded. Params, tags and metrics are read only from
regular files: a named pipe or a symlink makes the run unreadable rather than blocking the
reader or reading a file from elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from runreport.exceptions import ResourceNotFoundError, RunFormatError
from runreport.store import format as fmt
from runreport.store.reader import SkippedRun, read_file, skip_reason, to_run, unreadable
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

MAX_META_BYTES = 4 * 1024 * 1024
MAX_YAML_NESTING = 1000


def load_meta(path: Path | str) -> dict[str, Any]:
    """A ``meta.yaml`` as a mapping; RunFormatError naming the file when it cannot be used."""
    try:
        raw = read_file(path, MAX_META_BYTES)
    except FileNotFoundError:
        raise RunFormatError(path, "does not exist") from None
    _check_nesting(raw, path)
    try:
        data = yaml.load(raw, Loader=_Loader)  # a safe loader (CSafeLoader): no python tags
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())[:300]
        raise RunFormatError(path, f"not valid YAML ({reason})") from None
    except RecursionError:
        raise RunFormatError(path, "not valid: YAML nests too deeply") from None
    if not isinstance(data, dict):
        raise RunFormatError(path, "expected a YAML mapping")
    return data


def _check_nesting(raw: bytes, path: Path | str) -> None:
    """Refuse YAML that could nest deeper than :data:`MAX_YAML_NESTING` levels, unparsed.

    An upper bound, cheap to compute: flow collections nest at most as deep as there are
    ``[`` and ``{``; block collections at most as deep as a line's indentation plus the
    ``-`` and ``?`` indicators on it.
    """
    if len(raw) <= MAX_YAML_NESTING:
        return
    flow = raw.count(b"[") + raw.count(b"{")
    block = max(
        len(line) - len(line.lstrip(b" ")) + line.count(b"-") + line.count(b"?")
        for line in raw.splitlines() or [b""]
    )
    if flow + block > MAX_YAML_NESTING:
        raise RunFormatError(
            path, f"not valid: YAML that may nest deeper than {MAX_YAML_NESTING} levels"
        )


def _kind(value: object) -> str:
    if isinstance(value, (dict, list)):
        return f"a YAML {'mapping' if isinstance(value, dict) else 'sequence'}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _text(meta: dict[str, Any], key: str, path: object) -> str | None:
    """A text field (MLflow writes some ids as numbers); None when absent or null."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RunFormatError(path, f"{key} is {_kind(value)}; expected text")
    return str(value)


def _time(meta: dict[str, Any], key: str, path: object) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= fmt.MAX_TIME_MS:
        raise RunFormatError(
            path, f"{key} is {_kind(value)}; expected milliseconds since 1970 or null"
        )
    return value


def _status(meta: dict[str, Any], path: object) -> str:
    value = meta.get("status")
    if value is None:
        return RunStatus.RUNNING
    if isinstance(value, int) and not isinstance(value, bool) and value in RunStatus.CODES.values():
        return RunStatus.to_string(value)
    if isinstance(value, str) and value in fmt.RUN_STATUSES:
        return value
    raise RunFormatError(path, f"status is {_kind(value)}; expected a code from 1 to 5")


def _stage(meta: dict[str, Any], path: object, default: str) -> str:
    value = _text(meta, "lifecycle_stage", path) or default
    if value not in fmt.LIFECYCLE_STAGES:
        raise RunFormatError(path, f"lifecycle_stage is {_kind(value)}; expected active or deleted")
    return value


def read_key_files(folder: str) -> dict[str, str]:
    """``params/`` or ``tags/``: one file per key, sub-folders for keys holding ``/``."""
    found: dict[str, str] = {}
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(parent, d))]
        for name in files:
            path = os.path.join(parent, name)
            text = read_file(path, MAX_META_BYTES).decode("utf-8", errors="replace")
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = text
    return found


def parse_metric_line(line: str) -> tuple[int, float, int] | None:
    """``(timestamp, value, step)`` of one history line, or None for a malformed one."""
    parts = line.split()
    if len(parts) < 2:
        return None
    try:
        point = int(parts[0]), float(parts[1]), int(parts[2]) if len(parts) >= 3 else 0
    except ValueError:
        return None
    if not (
        fmt.INT64_MIN <= point[0] <= fmt.INT64_MAX and fmt.INT64_MIN <= point[2] <= fmt.INT64_MAX
    ):
        return None  # beyond 64 bits: MLflow never writes such a timestamp or step
    return point


def read_metric_file(path: str) -> list[tuple[int, float, int]]:
    text = read_file(path, fmt.MAX_HISTORY_BYTES).decode("utf-8", errors="replace")
    return [p for p in map(parse_metric_line, text.splitlines()) if p is not None]


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


def artifacts_folder(path: Path | None, owner: str) -> Path | None:
    """``path`` when it is a local folder laid out as MLflow lays out artifacts
    (``.../<run or model id>/artifacts``, also once symlinks are resolved); else None.

    A meta.yaml or a database row can name any folder (``file:///``, a home folder, or a
    symlink to one); reading it would copy that folder into a build, so it is not used.
    """
    try:
        if path is None or not path.is_dir():
            return None
        forms = (os.path.normpath(path.absolute()), os.path.realpath(path))
    except (OSError, ValueError):  # a name too long, a NUL byte...
        return None
    for form in forms:
        parts = Path(form).parts
        if len(parts) < 3 or parts[-1] != "artifacts" or parts[-2] != owner:
            return None
    return path


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
                if entry.is_dir() and os.path.lexists(os.path.join(entry.path, META)):
                    found.append((Path(entry.path), stage))
        return found

    def experiments(self) -> list[Experiment]:
        result = []
        for folder, stage in self._experiment_dirs():
            try:
                result.append(self._experiment(folder, stage))
            except (RunFormatError, OSError):
                continue  # left out, as runreport's own unreadable experiments are
        return result

    def _experiment(self, folder: Path, stage: str) -> Experiment:
        path = folder / META
        meta = load_meta(path)
        return Experiment(
            experiment_id=_text(meta, "experiment_id", path) or folder.name,
            name=_text(meta, "name", path) or folder.name,
            artifact_location=_text(meta, "artifact_location", path) or folder.as_uri(),
            lifecycle_stage=_stage(meta, path, stage),
            tags=read_key_files(str(folder / "tags")),
            creation_time=_time(meta, "creation_time", path),
            last_update_time=_time(meta, "last_update_time", path),
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
                    skipped.append(SkippedRun(str(run_dir), skip_reason(exc, run_dir)))
                except (OSError, ValueError, ArithmeticError, RecursionError) as exc:
                    skipped.append(SkippedRun(str(run_dir), unreadable(exc)))
        return runs, skipped

    @staticmethod
    def _run_dirs(experiment_dir: Path) -> list[Path]:
        try:
            entries = list(os.scandir(experiment_dir))
        except OSError:
            return []
        return sorted(
            Path(e.path)
            for e in entries
            if e.is_dir()
            and e.name not in ("models", "tags", "datasets", "traces")
            and os.path.lexists(os.path.join(e.path, META))
        )

    def _find_run_dir(self, run_id: str) -> Path:
        if run_id and "/" not in run_id and not run_id.startswith("."):
            for folder, _ in self._experiment_dirs():
                if os.path.isdir(folder / run_id) and os.path.lexists(folder / run_id / META):
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
        path = run_dir / META
        run_id = _text(meta, "run_id", path) or _text(meta, "run_uuid", path) or ""
        if run_id != run_dir.name:
            raise RunFormatError(path, f"run_id {_kind(run_id)} does not match its folder")
        experiment_id = _text(meta, "experiment_id", path) or run_dir.parent.name
        if experiment_id != run_dir.parent.name:
            raise RunFormatError(
                path, f"experiment_id {_kind(experiment_id)} does not match its experiment folder"
            )
        tags = read_key_files(str(run_dir / "tags"))
        return fmt.RunRecord(
            run_id=run_id,
            experiment_id=experiment_id,
            run_name=_text(meta, "run_name", path) or tags.pop(fmt.TAG_RUN_NAME, "") or "",
            status=_status(meta, path),
            start_time=_time(meta, "start_time", path),
            end_time=_time(meta, "end_time", path),
            user_id=_text(meta, "user_id", path) or tags.get(fmt.TAG_USER) or "",
            parent_run_id=tags.pop(fmt.TAG_PARENT_RUN_ID, None),
            lifecycle_stage=_stage(meta, path, "active"),
            description=tags.pop(fmt.TAG_DESCRIPTION, None),
            params=read_key_files(str(run_dir / "params")),
            tags={k: v for k, v in tags.items() if k not in (fmt.TAG_RUN_NAME, fmt.TAG_USER)},
        )

    def _artifact_uri(self, meta: dict[str, Any], run_dir: Path) -> str:
        recorded = _text(meta, "artifact_uri", run_dir / META) or ""
        local = _local_path(recorded)
        if local is None and recorded:
            return recorded  # remote (s3://, gs://, ...): shown as such
        found = artifacts_folder(local, run_dir.name)
        return (found or run_dir / "artifacts").absolute().as_uri()

    def artifacts_dir(self, run_id: str) -> Path | None:
        run = self.get_run(run_id)
        return artifacts_folder(_local_path(run.info.artifact_uri), run_id)

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
                artifacts = artifacts_folder(model_dir / "artifacts", entry.name)
                if artifacts is not None and (artifacts / "MLmodel").is_file():
                    meta = load_meta(model_dir / META)
                    name = _text(meta, "name", model_dir / META) or entry.name
                    found.setdefault(name, model_dir / "artifacts")
        return found

    def logged_model_dir(self, model_id: str) -> Path | None:
        """The artifacts folder of MLflow 3 logged model ``m-...`` (for ``models:/m-...``)."""
        for folder, _ in self._experiment_dirs():
            candidate = artifacts_folder(folder / "models" / model_id / "artifacts", model_id)
            if candidate is not None:
                return candidate
        return None

    # ------------------------------------------------------------ registry

    def registry(self) -> list[RegistryModel]:
        base = self.location / REGISTRY_DIR
        if not base.is_dir():
            return []
        models = []
        for entry in sorted(os.scandir(base), key=lambda e: e.name):
            if entry.is_dir() and os.path.lexists(os.path.join(entry.path, META)):
                try:
                    models.append(self._registered_model(Path(entry.path)))
                except (RunFormatError, OSError):
                    continue  # an unreadable model is left out, as an unreadable run is
        return models

    def _registered_model(self, folder: Path) -> RegistryModel:
        path = folder / META
        meta = load_meta(path)
        aliases = self._alias_map(meta.get("aliases"), path)
        aliases.update(self._alias_files(folder / "aliases"))
        versions = []
        for entry in os.scandir(folder):
            if entry.name.startswith("version-") and os.path.lexists(
                os.path.join(entry.path, META)
            ):
                try:
                    version = self._version(Path(entry.path))
                except (RunFormatError, OSError):
                    continue
                if version is not None:
                    versions.append(version)
        versions.sort(key=lambda v: v.version)
        return RegistryModel(
            name=_text(meta, "name", path) or folder.name,
            description=_text(meta, "description", path),
            tags=read_key_files(str(folder / "tags")),
            aliases=dict(sorted(aliases.items())),
            versions=versions,
        )

    @staticmethod
    def _alias_map(value: object, path: Path) -> dict[str, int]:
        """``aliases:`` in a model's meta.yaml: a list of {alias, version} or a mapping."""
        if value is None:
            return {}
        items: list[tuple[Any, Any]] | None = None
        if isinstance(value, dict):
            items = list(value.items())
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            items = [(v.get("alias"), v.get("version")) for v in value]
        if items is None or not all(isinstance(a, str) and _is_version(v) for a, v in items):
            raise RunFormatError(path, f"aliases hold {_kind(value)}; expected alias: version")
        return {alias: int(version) for alias, version in items}

    @staticmethod
    def _alias_files(folder: Path) -> dict[str, int]:
        if not folder.is_dir():
            return {}
        found = {}
        for entry in os.scandir(folder):
            try:
                text = read_file(entry.path, 100).decode("utf-8", errors="replace").strip()
            except (RunFormatError, OSError):
                continue
            if text.isdigit() and text.isascii():
                found[entry.name] = int(text)
        return found

    def _version(self, folder: Path) -> RegistryVersion | None:
        path = folder / META
        meta = load_meta(path)
        stage = _text(meta, "current_stage", path) or "None"
        if stage == DELETED_STAGE:
            return None
        number = meta.get("version", folder.name.split("-", 1)[1])
        if not _is_version(number):
            raise RunFormatError(path, f"version is {_kind(number)}; expected a positive integer")
        return RegistryVersion(
            version=int(number),
            stage=stage,
            source=_text(meta, "source", path) or "",
            run_id=_text(meta, "run_id", path),
            description=_text(meta, "description", path),
            tags=read_key_files(str(folder / "tags")),
            creation_timestamp=_time(meta, "creation_timestamp", path),
            last_updated_timestamp=_time(meta, "last_updated_timestamp", path),
        )


def _is_version(value: object) -> bool:
    """A version number as MLflow writes it: a positive int, or its decimal digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
