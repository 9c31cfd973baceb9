"""Parsing one run folder: its record, its metric summary, and both as they were at one moment.

A run is two small files written at different times by different writers: ``run.json`` (meta,
params, tags) and ``summary.json`` (latest value, min, max and count per metric). A search
rarely needs both for every run, so :func:`parse_run` reads first the file that decides
whether the run can match (the record, or the summary when the filter names only metrics) and
the other only when it can. When it reads both, it makes sure they were current together.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from runreport.exceptions import RunFormatError
from runreport.store import cache as run_cache
from runreport.store import format as fmt
from runreport.store.cache import Entry, StatKey, file_key
from runreport.store.safe_read import (
    history_stat,
    read_file_and_stat,
    read_history,
)

RecordTest = Callable[[fmt.RunRecord], bool]
RowsTest = Callable[[dict[str, fmt.SummaryRow]], bool]

_READ_ATTEMPTS = 3


def parse_run(
    run_dir: Path | str, keep: RecordTest | None = None, keep_rows: RowsTest | None = None
) -> Entry:
    """The run's cache key, record and summary rows, as they were at one moment.

    ``keep`` and ``keep_rows``, when given, are tests a run must pass to be wanted, on its
    record and on its summary rows. With ``keep_rows`` the summary is read first, else the
    record; a run that fails the test on the file read first comes back without the other
    file (its record or its rows are None), and the key covers exactly the files read. When
    both files are read, the caller applies the other test.
    """
    if keep_rows is not None:
        return _parse_summary_first(run_dir, keep_rows)
    return _parse_record_first(run_dir, keep)


def _parse_record_first(run_dir: Path | str, keep: RecordTest | None) -> Entry:
    """Record, then summary, then ``run.json`` looked at again: if a writer replaced it in
    between, both are read again (a run rewritten faster than it can be read, three times over,
    is shown as last read)."""
    for _ in range(_READ_ATTEMPTS):
        record, key = _read_run_record(run_dir)
        if keep is not None and not keep(record):
            return key, record, None
        rows, summary_key = _summary_rows(run_dir, record.status == "RUNNING")
        if run_cache.path_key(os.path.join(run_dir, fmt.RUN_FILE)) == key:
            break
    return key + summary_key, record, rows


def _parse_summary_first(run_dir: Path | str, keep_rows: RowsTest) -> Entry:
    """Summary (checked to cover the whole history), then record, then ``summary.json`` looked
    at again. A summary that does not cover the history (a writer died between appending and
    summarising), or no summary, sends the run down the record-first path, which knows from the
    record whether the rest of the history counts."""
    summary_path = os.path.join(run_dir, fmt.SUMMARY_FILE)
    for _ in range(_READ_ATTEMPTS):
        summary, summary_key, history = _stored_summary(run_dir)
        if summary is None or summary.covered_bytes != (history.st_size if history else 0):
            return _parse_record_first(run_dir, None)
        rows = summary.metrics
        if not keep_rows(rows):
            history_key = file_key(history) if history else ()
            return summary_key + history_key, None, rows
        record, key = _read_run_record(run_dir)
        if run_cache.path_key(summary_path) == summary_key:
            break
    return key + summary_key, record, rows


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
    return record, file_key(info)


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
    summary, key, history = _stored_summary(run_dir)
    size = history.st_size if history else 0
    if summary is None:
        if not check_tail or not size:
            return summary, key
        summary = fmt.Summary()
    if check_tail and size > summary.covered_bytes:
        tail = read_history(os.path.join(run_dir, fmt.METRICS_FILE), summary.covered_bytes)
        summary.covered_bytes += summary.add_bytes(tail)
    return summary, key


def _stored_summary(
    run_dir: Path | str,
) -> tuple[fmt.Summary | None, StatKey, os.stat_result | None]:
    """``summary.json`` as stored (None if there is none) with its cache key, and the ``lstat``
    of ``metrics.tsv`` taken just before (None if there is none; a pipe or symlink there is a
    RunFormatError)."""
    history = history_stat(os.path.join(run_dir, fmt.METRICS_FILE))
    path = os.path.join(run_dir, fmt.SUMMARY_FILE)
    try:
        data, info = read_file_and_stat(path)
    except FileNotFoundError:
        return None, (), history
    return fmt.Summary.from_json(data, path), file_key(info), history


def _summary_rows(run_dir: Path | str, running: bool) -> tuple[dict[str, fmt.SummaryRow], StatKey]:
    """The run's summary rows (points past ``covered_bytes`` folded in for a RUNNING run).

    A history without its summary (deleted by hand, lost in a merge) is summarised whole.
    """
    summary, key = _read_summary(run_dir, check_tail=running)
    if summary is None:
        summary = fmt.Summary()
        summary.add_bytes(read_history(os.path.join(run_dir, fmt.METRICS_FILE)))
    return summary.metrics, key
