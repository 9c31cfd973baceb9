"""Reading run folders into tracking entities.

Readers never trust a file blindly: every record is validated by :mod:`runreport.store.format`
and a bad one raises :class:`~runreport.exceptions.RunFormatError` naming the file. Bulk readers
(:func:`scan_runs`) skip bad runs and return them as :class:`SkippedRun` so a build or a search
goes on.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runreport.exceptions import RunFormatError
from runreport.store import cache as run_cache
from runreport.store import format as fmt
from runreport.store.files import file_size, read_bytes
from runreport.tracking.entities import (
    Experiment,
    FileInfo,
    Metric,
    MetricSummary,
    Run,
    RunData,
    RunInfo,
)


@dataclass(frozen=True, slots=True)
class SkippedRun:
    """A run folder that could not be read, and why."""

    path: str
    reason: str


# ---------------------------------------------------------------- experiments


def experiment_dirs(root: Path) -> list[Path]:
    """Folders of ``root`` that hold an ``experiment.json``, sorted by name."""
    try:
        entries = list(os.scandir(root))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        Path(e.path)
        for e in entries
        if not e.name.startswith(".") and os.path.isfile(os.path.join(e.path, fmt.EXPERIMENT_FILE))
    )


def read_experiment_record(folder: Path) -> fmt.ExperimentRecord:
    path = folder / fmt.EXPERIMENT_FILE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunFormatError(path, f"cannot be read ({exc.strerror})") from None
    record = fmt.ExperimentRecord.from_json(data, path)
    if record.experiment_id != folder.name:
        raise RunFormatError(
            path, f"experiment_id {record.experiment_id!r} does not match its folder name"
        )
    return record


def experiment_records(root: Path) -> Iterator[fmt.ExperimentRecord]:
    """Every readable experiment record under ``root`` (unreadable ones are left out)."""
    for folder in experiment_dirs(root):
        try:
            yield read_experiment_record(folder)
        except RunFormatError:
            continue


def find_experiment_by_name(root: Path, name: str) -> fmt.ExperimentRecord | None:
    for record in experiment_records(root):
        if record.name == name:
            return record
    return None


def to_experiment(record: fmt.ExperimentRecord, root: Path) -> Experiment:
    return Experiment(
        experiment_id=record.experiment_id,
        name=record.name,
        artifact_location=(root / record.experiment_id).resolve().as_uri(),
        lifecycle_stage=record.lifecycle_stage,
        tags=dict(record.tags),
        creation_time=record.creation_time,
        last_update_time=record.last_update_time,
    )


# ---------------------------------------------------------------- runs


def run_dirs(experiment_dir: Path) -> list[Path]:
    """Sub-folders of an experiment folder that look like runs (hold a ``run.json``)."""
    try:
        entries = list(os.scandir(experiment_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(Path(e.path) for e in entries if not e.name.startswith(".") and e.is_dir())


def find_run_dir(root: Path, run_id: str) -> Path | None:
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        return None
    for folder in experiment_dirs(root):
        candidate = folder / run_id
        if os.path.isfile(candidate / fmt.RUN_FILE):
            return candidate
    return None


def read_run_record(run_dir: Path | str) -> fmt.RunRecord:
    path = os.path.join(run_dir, fmt.RUN_FILE)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise RunFormatError(
            run_dir, f"no {fmt.RUN_FILE} (not a run folder, or half-written)"
        ) from None
    except OSError as exc:
        raise RunFormatError(path, f"cannot be read ({exc.strerror})") from None
    record = fmt.RunRecord.from_json(data, path)
    if record.run_id != os.path.basename(run_dir):
        raise RunFormatError(path, f"run_id {record.run_id!r} does not match its folder name")
    return record


def read_summary(run_dir: Path | str, check_tail: bool = False) -> fmt.Summary | None:
    """The run's metric summary; with ``check_tail``, also fold in points not yet summarised.

    Points can be missing from ``summary.json`` only if a writer died between appending and
    summarising; a reader that cares (the run is still RUNNING) passes ``check_tail``.
    """
    run_dir = Path(run_dir)
    path = run_dir / fmt.SUMMARY_FILE
    try:
        summary = fmt.Summary.from_json(path.read_bytes(), path)
    except FileNotFoundError:
        summary = None
    metrics_path = run_dir / fmt.METRICS_FILE
    if summary is None:
        if not check_tail or not file_size(metrics_path):
            return summary
        summary = fmt.Summary()
    if check_tail and file_size(metrics_path) > summary.covered_bytes:
        summary.covered_bytes += summary.add_bytes(read_bytes(metrics_path, summary.covered_bytes))
    return summary


def read_run(run_dir: Path) -> Run:
    """Read one run folder into a :class:`Run`; raise RunFormatError naming a bad file."""
    record, rows = _parse_run(run_dir)
    return to_run(record, rows, _artifact_base(run_dir.parent))


def _parse_run(run_dir: Path | str) -> tuple[fmt.RunRecord, dict[str, fmt.SummaryRow]]:
    record = read_run_record(run_dir)
    if record.status == "RUNNING":
        summary = read_summary(run_dir, check_tail=True)
        return record, (summary.metrics if summary else {})
    # Fast path for ended runs (most of them): one open, no pathlib.
    path = os.path.join(run_dir, fmt.SUMMARY_FILE)
    try:
        with open(path, "rb") as handle:
            return record, fmt.Summary.from_json(handle.read(), path).metrics
    except FileNotFoundError:
        return record, {}


def _artifact_base(experiment_dir: Path) -> str:
    return experiment_dir.absolute().as_uri()


class SummaryView(Mapping[str, MetricSummary]):
    """Read-only ``metric_summaries``: entities are made only for the keys that are used."""

    __slots__ = ("_rows",)

    def __init__(self, rows: dict[str, fmt.SummaryRow]) -> None:
        self._rows = rows

    def __getitem__(self, key: str) -> MetricSummary:
        value, timestamp, step, low, high, count = self._rows[key]
        return MetricSummary(Metric(key, value, timestamp, step), low, high, count)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"SummaryView({dict(self.items())!r})"


def to_run(record: fmt.RunRecord, rows: dict[str, fmt.SummaryRow], artifact_base: str) -> Run:
    """Entities for a parsed run; nothing mutable is shared with ``record`` or ``rows``."""
    info = RunInfo(
        record.run_id,
        record.experiment_id,
        record.run_name,
        record.user_id,
        record.status,
        record.start_time,
        record.end_time,
        f"{artifact_base}/{record.run_id}/{fmt.ARTIFACTS_DIR}",
        record.lifecycle_stage,
        record.parent_run_id,
        record.description,
    )
    data = RunData(
        {key: row[0] for key, row in rows.items()},
        dict(record.params),
        record.visible_tags(),
        SummaryView(rows),  # rows are never mutated after parsing; the view copies on access
    )
    return Run(info, data, source=f"{artifact_base}/{record.run_id}")


def scan_runs(
    root: Path, experiment_ids: Iterable[str] | None = None
) -> tuple[list[Run], list[SkippedRun]]:
    """Every run of the given experiments (all when None), plus the runs that were skipped.

    Parsed runs are cached (see :mod:`runreport.store.cache`), so repeated scans cost a
    ``stat`` of two files per unchanged run.
    """
    wanted = None if experiment_ids is None else set(experiment_ids)
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    with _no_gc():  # a bulk parse makes no cycles; collections would only cost time
        for folder in experiment_dirs(root):
            if wanted is None or folder.name in wanted:
                _scan_experiment(folder, runs, skipped)
    return runs, skipped


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _scan_experiment(folder: Path, runs: list[Run], skipped: list[SkippedRun]) -> None:
    cache = run_cache.for_experiment(folder)
    base = _artifact_base(folder)
    names = _run_dir_names(folder)
    for name in names:
        run_dir = os.path.join(folder, name)
        try:
            found = run_cache.stat_key(run_dir)
            if found is None:
                raise RunFormatError(
                    run_dir, f"no {fmt.RUN_FILE} (not a run folder, or half-written)"
                )
            key, newest = found
            entry = cache.get(name, key)
            if entry is None:
                entry = (key, *_parse_run(run_dir))
                cache.put(name, entry, newest)
            runs.append(to_run(entry[1], entry[2], base))
        except RunFormatError as exc:
            skipped.append(SkippedRun(run_dir, exc.reason))
        except (OSError, UnicodeDecodeError, RecursionError, ValueError) as exc:
            skipped.append(SkippedRun(run_dir, f"cannot be read ({exc})"))
    cache.forget_missing(set(names))
    cache.save_soon()


def _run_dir_names(experiment_dir: Path) -> list[str]:
    try:
        entries = list(os.scandir(experiment_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir())


# ---------------------------------------------------------------- histories and artifacts


def read_metric_history(run_dir: Path, key: str | None = None) -> list[Metric]:
    """Every complete point of the run's history (of one metric when ``key`` is given)."""
    data = read_bytes(run_dir / fmt.METRICS_FILE)
    return [
        Metric(k, value, timestamp, step)
        for k, timestamp, step, value in fmt.parse_metric_lines(data)
        if key is None or k == key
    ]


def list_artifacts(artifacts_dir: Path, path: str | None = None) -> list[FileInfo]:
    """The direct children of ``path`` inside the artifacts folder (symlinks are left out)."""
    base = artifacts_dir / path if path else artifacts_dir
    if not base.is_dir():
        return []
    infos = []
    for entry in sorted(os.scandir(base), key=lambda e: e.name):
        if entry.is_symlink() or entry.name.startswith(fmt.TEMP_PREFIX):
            continue
        rel = os.path.relpath(entry.path, artifacts_dir).replace(os.sep, "/")
        is_dir = entry.is_dir()
        infos.append(FileInfo(rel, is_dir, None if is_dir else entry.stat().st_size))
    return infos
