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
from runreport.store.parse import RecordTest, RowsTest, parse_run
from runreport.store.safe_read import (
    is_dir,
    read_file,
    read_history,
)
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
    """Folders of ``root`` that hold an ``experiment.json`` (of any kind), sorted by name."""
    try:
        entries = list(os.scandir(root))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        Path(e.path)
        for e in entries
        if not e.name.startswith(".") and os.path.lexists(os.path.join(e.path, fmt.EXPERIMENT_FILE))
    )


def read_experiment_record(folder: Path) -> fmt.ExperimentRecord:
    path = folder / fmt.EXPERIMENT_FILE
    try:
        data = read_file(path)
    except FileNotFoundError:
        raise RunFormatError(path, "does not exist") from None
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
    return sorted(Path(e.path) for e in entries if not e.name.startswith(".") and is_dir(e))


def find_run_dir(root: Path, run_id: str) -> Path | None:
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        return None
    for folder in experiment_dirs(root):
        candidate = folder / run_id
        if os.path.isdir(candidate) and os.path.lexists(candidate / fmt.RUN_FILE):
            return candidate
    return None


def read_run(run_dir: Path) -> Run:
    """Read one run folder into a :class:`Run`; raise RunFormatError naming a bad file."""
    _, record, rows = parse_run(run_dir)
    assert record is not None and rows is not None  # no tests: both files are always read
    return to_run(record, rows, _artifact_base(run_dir.parent))


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
    root: Path,
    experiment_ids: Iterable[str] | None = None,
    keep: RecordTest | None = None,
    keep_rows: RowsTest | None = None,
) -> tuple[list[Run], list[SkippedRun]]:
    """Every run of the given experiments (all when None), plus the runs that were skipped.

    ``keep`` and ``keep_rows``, when given, are tests on a run's record and on its metric
    summary rows that a run must pass to be returned: a search pushes down the parts of its
    filter it can decide on each (see :func:`runreport.store.parse.parse_run`), so a run ruled
    out costs one small file, and no entity is made for it. Parsed runs are cached (see
    :mod:`runreport.store.cache`), so repeated scans cost a ``stat`` of two files per unchanged
    run.
    """
    wanted = None if experiment_ids is None else set(experiment_ids)
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    with gc_paused():
        for folder in experiment_dirs(root):
            if wanted is None or folder.name in wanted:
                _scan_experiment(folder, (keep, keep_rows), runs, skipped)
    return runs, skipped


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk read of runs (nestable).

    A bulk read makes hundreds of thousands of small objects and no reference cycles: the
    collections it would trigger scan them all, again and again, for nothing. Whatever
    cycles the caller makes meanwhile are collected after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _scan_experiment(
    folder: Path,
    tests: tuple[RecordTest | None, RowsTest | None],
    runs: list[Run],
    skipped: list[SkippedRun],
) -> None:
    cache = run_cache.for_experiment(folder)
    base = _artifact_base(folder)
    names = _run_dir_names(folder)
    for name in names:
        run_dir = os.path.join(folder, name)
        try:
            whole = _whole_entry(cache, name, run_dir, tests)
            if whole is not None:
                runs.append(to_run(*whole, base))
        except RunFormatError as exc:
            skipped.append(SkippedRun(run_dir, skip_reason(exc, run_dir)))
        except (OSError, ValueError, ArithmeticError, RecursionError) as exc:
            skipped.append(SkippedRun(run_dir, unreadable(exc)))
    cache.forget_missing(set(names))
    cache.save_soon()


def _whole_entry(
    cache: run_cache.ExperimentCache,
    name: str,
    run_dir: str,
    tests: tuple[RecordTest | None, RowsTest | None],
) -> tuple[fmt.RunRecord, dict[str, fmt.SummaryRow]] | None:
    """The run's record and rows (from the cache or parsed), or None when a test rules it out."""
    keep, keep_rows = tests
    entry = cache.lookup(name, run_dir)
    if entry is None or not _decides(entry, tests):
        entry = parse_run(run_dir, keep, keep_rows)
        cache.put(name, entry)
    assert entry is not None
    record, rows = entry[1], entry[2]
    if record is None or rows is None or (keep is not None and not keep(record)):
        return None
    if keep_rows is not None and not keep_rows(rows):
        return None
    return record, rows


def _decides(entry: run_cache.Entry, tests: tuple[RecordTest | None, RowsTest | None]) -> bool:
    """Whether a cached entry is enough: whole, or ruled out by a test on the part it holds."""
    keep, keep_rows = tests
    if entry[1] is not None and entry[2] is not None:
        return True
    if entry[1] is not None:  # a record without rows
        return keep is not None and not keep(entry[1])
    return keep_rows is not None and not keep_rows(entry[2])  # type: ignore[arg-type]


def unreadable(exc: BaseException) -> str:
    """A reason for a run that could not be read, short even when the error quotes a file."""
    text = " ".join(str(exc).split())
    return f"cannot be read ({text if len(text) <= 300 else text[:297] + '...'})"


def skip_reason(exc: RunFormatError, run_dir: str | os.PathLike[str]) -> str:
    """Why a run was skipped, naming the file inside the run folder that is at fault."""
    inside = os.path.relpath(exc.path, run_dir) if exc.path else "."
    if inside == "." or inside.startswith(".."):
        return exc.reason
    return f"{inside.replace(os.sep, '/')}: {exc.reason}"


def _run_dir_names(experiment_dir: Path) -> list[str]:
    try:
        entries = list(os.scandir(experiment_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(e.name for e in entries if not e.name.startswith(".") and is_dir(e))


# ---------------------------------------------------------------- histories and artifacts


def read_metric_history(run_dir: Path, key: str | None = None) -> list[Metric]:
    """Every complete point of the run's history (of one metric when ``key`` is given)."""
    data = read_history(run_dir / fmt.METRICS_FILE)
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
