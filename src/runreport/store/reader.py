"""Reading run folders into tracking entities.

Readers never trust a file blindly: every record is validated by :mod:`runreport.store.format`
and a bad one raises :class:`~runreport.exceptions.RunFormatError` naming the file. Bulk readers
(:func:`scan_runs`) skip bad runs and return them as :class:`SkippedRun` so a build or a search
goes on.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from runreport.exceptions import RunFormatError
from runreport.store import cache as run_cache
from runreport.store import format as fmt
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


# ---------------------------------------------------------------- reading files safely

# Non-blocking, so that opening a named pipe (FIFO) returns at once instead of waiting for a
# writer; not following a symlink, so that a record never comes from outside its folder.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_SYMLINK_ERRNOS = {errno.ELOOP, errno.EMLINK}


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(path: object, mode: int) -> RunFormatError:
    return RunFormatError(path, f"is {_file_kind(mode)}; runreport reads only regular files")


def _too_large(path: object, size: int, limit: int) -> RunFormatError:
    return RunFormatError(
        path, f"is {size:,} bytes, larger than the {limit:,} bytes runreport reads"
    )


def read_file(
    path: str | os.PathLike[str], limit: int = fmt.MAX_RECORD_BYTES, start: int = 0
) -> bytes:
    """The bytes of a regular file of a run folder from offset ``start``.

    Never blocks and never follows a symlink: a named pipe, socket, device, directory or
    symlink, or a file larger than ``limit``, is a RunFormatError naming the file. A missing file
    raises FileNotFoundError.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(errno.ENOENT, "No such file", os.fspath(path)) from None
    except OSError as exc:
        raise _unopenable(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit)
        return _read_all(fd, start, info.st_size - start)
    finally:
        os.close(fd)


def _read_all(fd: int, start: int, size: int) -> bytes:
    """``size`` bytes from offset ``start``, fewer at end of file (unbuffered: much cheaper per
    small file than ``open().read()``). Bytes appended after the ``fstat`` are left for later."""
    if size <= 0:
        return b""
    if start:
        os.lseek(fd, start, os.SEEK_SET)
    data = os.read(fd, size)
    if len(data) == size or not data:
        return data
    chunks, left = [data], size - len(data)
    while left and (chunk := os.read(fd, left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _unopenable(path: str | os.PathLike[str], exc: OSError) -> RunFormatError:
    """Why ``path`` could not be opened: what it is when it is not a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        mode = stat.S_IFLNK if exc.errno in _SYMLINK_ERRNOS else stat.S_IFREG
    if not stat.S_ISREG(mode):  # a symlink (O_NOFOLLOW refused it), a socket...
        return _not_regular(path, mode)
    return RunFormatError(path, f"cannot be read ({exc.strerror})")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``entry.is_dir()``, False for what cannot be followed (a symlink loop)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def history_size(path: str | os.PathLike[str]) -> int:
    """The size of a ``metrics.tsv`` (0 when there is none), checked to be a regular file."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    if info.st_size > fmt.MAX_HISTORY_BYTES:
        raise _too_large(path, info.st_size, fmt.MAX_HISTORY_BYTES)
    return info.st_size


def _read_history(path: str | os.PathLike[str], start: int = 0) -> bytes:
    try:
        return read_file(path, fmt.MAX_HISTORY_BYTES, start)
    except FileNotFoundError:
        return b""


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
    return sorted(Path(e.path) for e in entries if not e.name.startswith(".") and _is_dir(e))


def find_run_dir(root: Path, run_id: str) -> Path | None:
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        return None
    for folder in experiment_dirs(root):
        candidate = folder / run_id
        if os.path.isdir(candidate) and os.path.lexists(candidate / fmt.RUN_FILE):
            return candidate
    return None


def read_run_record(run_dir: Path | str) -> fmt.RunRecord:
    path = os.path.join(run_dir, fmt.RUN_FILE)
    try:
        data = read_file(path)
    except FileNotFoundError:
        raise RunFormatError(
            run_dir, f"no {fmt.RUN_FILE} (not a run folder, or half-written)"
        ) from None
    record = fmt.RunRecord.from_json(data, path)
    folder = os.path.abspath(run_dir)
    if record.run_id != os.path.basename(folder):
        raise RunFormatError(
            path, f"run_id {fmt.short_repr(record.run_id)} does not match its folder name"
        )
    if record.experiment_id != os.path.basename(os.path.dirname(folder)):
        raise RunFormatError(
            path,
            f"experiment_id {fmt.short_repr(record.experiment_id)} does not match the experiment "
            "folder the run is in",
        )
    return record


def read_summary(run_dir: Path | str, check_tail: bool = False) -> fmt.Summary | None:
    """The run's metric summary; with ``check_tail``, also fold in points not yet summarised.

    Points can be missing from ``summary.json`` only if a writer died between appending and
    summarising; a reader that cares (the run is still RUNNING) passes ``check_tail``.
    """
    run_dir = Path(run_dir)
    path = run_dir / fmt.SUMMARY_FILE
    try:
        summary = fmt.Summary.from_json(read_file(path), path)
    except FileNotFoundError:
        summary = None
    metrics_path = run_dir / fmt.METRICS_FILE
    size = history_size(metrics_path)
    if summary is None:
        if not check_tail or not size:
            return summary
        summary = fmt.Summary()
    if check_tail and size > summary.covered_bytes:
        tail = _read_history(metrics_path, summary.covered_bytes)
        summary.covered_bytes += summary.add_bytes(tail)
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
    # Fast path for ended runs (most of them): no pathlib, and no history read.
    metrics_path = os.path.join(run_dir, fmt.METRICS_FILE)
    has_history = history_size(metrics_path) > 0  # also refuses a pipe or symlink there
    path = os.path.join(run_dir, fmt.SUMMARY_FILE)
    try:
        return record, fmt.Summary.from_json(read_file(path), path).metrics
    except FileNotFoundError:
        if not has_history:
            return record, {}
    # A history without its summary (deleted by hand, lost in a merge): summarise the history.
    summary = fmt.Summary()
    summary.add_bytes(_read_history(metrics_path))
    return record, summary.metrics


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
    return sorted(e.name for e in entries if not e.name.startswith(".") and _is_dir(e))


# ---------------------------------------------------------------- histories and artifacts


def read_metric_history(run_dir: Path, key: str | None = None) -> list[Metric]:
    """Every complete point of the run's history (of one metric when ``key`` is given)."""
    data = _read_history(run_dir / fmt.METRICS_FILE)
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
