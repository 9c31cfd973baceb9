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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runreport.exceptions import RunFormatError
from runreport.store import cache as run_cache
from runreport.store import format as fmt
from runreport.store.cache import StatKey
from runreport.store.safe_read import (
    history_size,
    is_dir,
    read_file,
    read_file_and_stat,
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


def read_run_record(run_dir: Path | str) -> fmt.RunRecord:
    """The run's ``run.json``, checked; raise RunFormatError naming the file when it is bad."""
    return _read_run_record(run_dir)[0]


def _read_run_record(run_dir: Path | str) -> tuple[fmt.RunRecord, StatKey]:
    path = os.path.join(run_dir, fmt.RUN_FILE)
    try:
        data, info = read_file_and_stat(path)
    except FileNotFoundError:
        raise RunFormatError(
            run_dir, f"no {fmt.RUN_FILE} (not a run folder, or half-written)"
        ) from None
    record = fmt.RunRecord.from_json(data, path)
    experiment_name, run_name = _last_two_names(os.fspath(run_dir))
    if record.run_id != run_name:
        raise RunFormatError(
            path, f"run_id {fmt.short_repr(record.run_id)} does not match its folder name"
        )
    if record.experiment_id != experiment_name:
        raise RunFormatError(
            path,
            f"experiment_id {fmt.short_repr(record.experiment_id)} does not match the experiment "
            "folder the run is in",
        )
    return record, run_cache.file_key(info)


def _last_two_names(path: str) -> tuple[str, str]:
    """The names of a run folder's experiment folder and of the run folder itself."""
    head, name = os.path.split(path)
    parent = os.path.basename(head)
    if name in ("", ".", "..") or parent in ("", ".", ".."):  # "runs/exp/run/", "." ...
        folder = os.path.abspath(path)
        return os.path.basename(os.path.dirname(folder)), os.path.basename(folder)
    return parent, name


def read_summary(run_dir: Path | str, check_tail: bool = False) -> fmt.Summary | None:
    """The run's metric summary; with ``check_tail``, also fold in points not yet summarised.

    Points can be missing from ``summary.json`` only if a writer died between appending and
    summarising; a reader that cares (the run is still RUNNING) passes ``check_tail``.
    """
    return _read_summary(run_dir, check_tail)[0]


def _read_summary(run_dir: Path | str, check_tail: bool) -> tuple[fmt.Summary | None, StatKey]:
    """:func:`read_summary` and the cache key of the ``summary.json`` read (``()`` if none)."""
    path = os.path.join(run_dir, fmt.SUMMARY_FILE)
    metrics_path = os.path.join(run_dir, fmt.METRICS_FILE)
    size = history_size(metrics_path)  # also refuses a pipe or symlink there
    summary: fmt.Summary | None = None
    key: StatKey = ()
    try:
        data, info = read_file_and_stat(path)
    except FileNotFoundError:
        pass
    else:
        summary, key = fmt.Summary.from_json(data, path), run_cache.file_key(info)
    if summary is None:
        if not check_tail or not size:
            return summary, key
        summary = fmt.Summary()
    if check_tail and size > summary.covered_bytes:
        tail = read_history(metrics_path, summary.covered_bytes)
        summary.covered_bytes += summary.add_bytes(tail)
    return summary, key


def _summary_rows(run_dir: Path | str, running: bool) -> tuple[dict[str, fmt.SummaryRow], StatKey]:
    """The run's summary rows (points past ``covered_bytes`` folded in for a RUNNING run).

    A history without its summary (deleted by hand, lost in a merge) is summarised whole.
    """
    summary, key = _read_summary(run_dir, check_tail=running)
    if summary is None:
        summary = fmt.Summary()
        summary.add_bytes(read_history(os.path.join(run_dir, fmt.METRICS_FILE)))
    return summary.metrics, key


def read_run(run_dir: Path) -> Run:
    """Read one run folder into a :class:`Run`; raise RunFormatError naming a bad file."""
    _, record, rows = parse_run(run_dir)
    assert rows is not None  # no ``keep`` test: the rows are always read
    return to_run(record, rows, _artifact_base(run_dir.parent))


_READ_ATTEMPTS = 3


def parse_run(
    run_dir: Path | str, keep: Callable[[fmt.RunRecord], bool] | None = None
) -> run_cache.Entry:
    """The run's cache key, record and summary rows, as they were at one moment.

    ``run.json`` and ``summary.json`` are two files: the record is read first, then the summary,
    then ``run.json`` is looked at again; if a writer replaced it in between, both are read
    again (a few times at most: a run rewritten faster than it can be read is shown as last
    read). When ``keep`` is given and says no to the record, the summary is not read at all and
    the rows are None (a search that only needs the runs that pass ``keep``).
    """
    for _ in range(_READ_ATTEMPTS):
        record, key = _read_run_record(run_dir)
        if keep is not None and not keep(record):
            return key, record, None
        rows, summary_key = _summary_rows(run_dir, record.status == "RUNNING")
        if run_cache.path_key(os.path.join(run_dir, fmt.RUN_FILE)) == key:
            break
    return key + summary_key, record, rows


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
    keep: Callable[[fmt.RunRecord], bool] | None = None,
) -> tuple[list[Run], list[SkippedRun]]:
    """Every run of the given experiments (all when None), plus the runs that were skipped.

    ``keep``, when given, is asked about each run's record before its summary is read: runs it
    refuses are left out at the cost of one small file (a search pushes the parts of its filter
    that name no metric down here). Parsed runs are cached (see :mod:`runreport.store.cache`),
    so repeated scans cost a ``stat`` of two files per unchanged run.
    """
    wanted = None if experiment_ids is None else set(experiment_ids)
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    with gc_paused():
        for folder in experiment_dirs(root):
            if wanted is None or folder.name in wanted:
                _scan_experiment(folder, keep, runs, skipped)
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
    keep: Callable[[fmt.RunRecord], bool] | None,
    runs: list[Run],
    skipped: list[SkippedRun],
) -> None:
    cache = run_cache.for_experiment(folder)
    base = _artifact_base(folder)
    names = _run_dir_names(folder)
    for name in names:
        run_dir = os.path.join(folder, name)
        try:
            entry = cache.lookup(name, run_dir)
            if entry is not None and keep is not None and not keep(entry[1]):
                continue
            if entry is None or entry[2] is None:
                entry = parse_run(run_dir, keep)
                cache.put(name, entry)
            if entry[2] is not None:
                runs.append(to_run(entry[1], entry[2], base))
        except RunFormatError as exc:
            skipped.append(SkippedRun(run_dir, skip_reason(exc, run_dir)))
        except (OSError, ValueError, ArithmeticError, RecursionError) as exc:
            skipped.append(SkippedRun(run_dir, unreadable(exc)))
    cache.forget_missing(set(names))
    cache.save_soon()


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
