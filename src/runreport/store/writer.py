"""Writing run folders: experiments, runs, record updates and metric appends.

Every change to a record is a read-modify-write under the folder's lock, re-reading the file
from disk first, so several processes and threads can change one run or experiment without
losing each other's changes. Metric points are appended to ``metrics.tsv`` and folded into
``summary.json`` in the same locked step (see :class:`MetricAppender`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from runreport.exceptions import InvalidParameterError, ResourceExistsError
from runreport.store import format as fmt
from runreport.store import ids
from runreport.store.files import (
    atomic_write,
    create_exclusive,
    file_size,
    locked,
    read_bytes,
    replacing,
)
from runreport.store.parse import read_summary
from runreport.store.reader import find_experiment_by_name

MAX_EXPERIMENT_ID_ATTEMPTS = 1000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# ---------------------------------------------------------------- experiments


def get_or_create_experiment(root: Path, name: str) -> fmt.ExperimentRecord:
    """The experiment called ``name``, created if missing; safe when processes race to create it."""
    existing = find_experiment_by_name(root, name)
    if existing is not None:
        return existing
    return _create_experiment(root, name, {}, must_be_new=False)


def create_experiment(
    root: Path, name: str, tags: dict[str, str] | None = None
) -> fmt.ExperimentRecord:
    """Create a new experiment; an existing one of that name (even deleted) is an error."""
    existing = find_experiment_by_name(root, name)
    if existing is not None:
        state = (
            " (deleted: restore it or remove its folder)"
            if existing.lifecycle_stage == "deleted"
            else ""
        )
        raise ResourceExistsError(
            f"experiment {name!r} already exists with id {existing.experiment_id}{state}"
        )
    return _create_experiment(root, name, dict(tags or {}), must_be_new=True)


def _create_experiment(
    root: Path, name: str, tags: dict[str, str], must_be_new: bool
) -> fmt.ExperimentRecord:
    created = now_ms()
    for attempt in range(MAX_EXPERIMENT_ID_ATTEMPTS):
        experiment_id = ids.experiment_id_for(name, attempt)
        folder = root / experiment_id
        folder.mkdir(parents=True, exist_ok=True)
        record = fmt.ExperimentRecord(experiment_id, name, "active", created, created, tags)
        path = folder / fmt.EXPERIMENT_FILE
        if create_exclusive(path, record.to_json()):
            return record
        other = fmt.ExperimentRecord.from_json(path.read_bytes(), path)
        if other.name == name:  # another process created it just now
            if must_be_new:
                raise ResourceExistsError(
                    f"experiment {name!r} already exists with id {experiment_id}"
                )
            return other
    raise InvalidParameterError(f"could not find a free experiment id for {name!r}")


def update_experiment(
    root: Path, experiment_id: str, change: Callable[[fmt.ExperimentRecord], None]
) -> fmt.ExperimentRecord:
    folder = root / experiment_id
    path = folder / fmt.EXPERIMENT_FILE
    with locked(folder):
        record = fmt.ExperimentRecord.from_json(path.read_bytes(), path)
        change(record)
        record.last_update_time = now_ms()
        atomic_write(path, record.to_json())
    return record


# ---------------------------------------------------------------- runs


def create_run(root: Path, record: fmt.RunRecord) -> Path:
    """Create the folder of a new run and its ``run.json``; return the folder.

    The folder is made complete under a temporary name and renamed into place, so a reader
    never finds a run folder without its ``run.json`` (a crash leaves an ignored ``.tmp-``
    folder).
    """
    folder = root / record.experiment_id / record.run_id
    text = record.to_json()
    with replacing(folder) as temp:
        temp.mkdir(parents=True)
        (temp / fmt.ARTIFACTS_DIR).mkdir()
        with open(temp / fmt.RUN_FILE, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if folder.exists():  # run ids are random: a clash is a bug, never overwrite
            raise FileExistsError(f"run folder {folder} already exists")
    return folder


def update_run(run_dir: Path, change: Callable[[fmt.RunRecord], None]) -> fmt.RunRecord:
    """Apply ``change`` to the run's record under its lock and write it back atomically."""
    path = run_dir / fmt.RUN_FILE
    with locked(run_dir):
        record = fmt.RunRecord.from_json(path.read_bytes(), path)
        change(record)
        atomic_write(path, record.to_json())
    return record


# ---------------------------------------------------------------- metrics


class MetricAppender:
    """Appends metric points to one run and keeps its ``summary.json`` current.

    Each :meth:`append` takes the run lock, folds in anything other writers (or a crashed
    process) appended since the summary was written, cuts a torn last line, appends the new
    lines in one ``write`` and rewrites the summary. An append that fails part way (a full
    disk, a file size limit) is undone: the history is cut back to where it was, so the caller
    can keep the points and try again without writing any of them twice.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._metrics_path = run_dir / fmt.METRICS_FILE
        self._summary_path = run_dir / fmt.SUMMARY_FILE
        self._summary: fmt.Summary | None = None

    def append(self, points: Iterable[tuple[str, int, int, float]]) -> None:
        lines = [fmt.format_metric_line(k, ts, step, v) for k, ts, step, v in points]
        if not lines:
            return
        data = "".join(lines).encode("utf-8")
        with locked(self.run_dir):
            summary = self._current_summary()
            start = summary.covered_bytes  # the size of the history (a torn line was cut)
            try:
                with open(self._metrics_path, "ab") as handle:
                    handle.write(data)
                summary.add_bytes(data)
                summary.covered_bytes += len(data)
                atomic_write(self._summary_path, summary.to_json())
            except BaseException:
                self._undo(start)
                raise

    def _undo(self, size: int) -> None:
        """Cut the history back to ``size`` bytes after a failed append (lock held)."""
        self._summary = None  # it may hold the failed points: read it from disk next time
        with contextlib.suppress(OSError):
            os.truncate(self._metrics_path, size)

    def _current_summary(self) -> fmt.Summary:
        """The summary covering every complete line now in ``metrics.tsv`` (lock held)."""
        summary = self._summary
        disk_size = file_size(self._metrics_path)
        if summary is None or summary.covered_bytes != disk_size:
            summary = read_summary(self.run_dir) or fmt.Summary()
            if summary.covered_bytes > disk_size:  # history was truncated by hand: start over
                summary = fmt.Summary()
            tail = read_bytes(self._metrics_path, summary.covered_bytes)
            summary.covered_bytes += summary.add_bytes(tail)
            if summary.covered_bytes < disk_size:  # torn last line from a crashed writer
                os.truncate(self._metrics_path, summary.covered_bytes)
        self._summary = summary
        return summary
