"""A cache of parsed runs, so searching 10,000 runs does not parse 20,000 files every time.

Entries are kept in memory and, per experiment, in ``<root>/.runreport-cache/<id>.json``
(git-ignored by a ``.gitignore`` written beside it). Each entry is keyed by the ``stat`` of the
run's ``run.json`` and ``summary.json`` (mtime in ns, size, inode) as they were read: a changed
file, however it was changed, misses the cache. An entry may hold a record without its summary
rows, or rows without their record (a search whose filter ruled the run out on one file never
read the other); its key then covers only the files that were read: ``run.json``, or
``summary.json`` and ``metrics.tsv`` (a summary is trusted alone only while it covers the whole
history). Entries whose files changed in the last two seconds are not
stored (a second change within the same clock tick could keep the same mtime), nor are RUNNING
runs, whose history may be ahead of their summary. A cache file that is unreadable, foreign or
tampered with is ignored: its keys cannot match files it did not see, and it never holds code.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import threading
import time
from pathlib import Path

from runreport.store import format as fmt
from runreport.store.files import atomic_write

logger = logging.getLogger(__name__)

CACHE_DIR = ".runreport-cache"
CACHE_VERSION = 2
STABLE_AFTER_NS = 2_000_000_000
SAVE_DELAY_SECONDS = 1.0
MAX_CACHED_RUNS_PER_EXPERIMENT = 1_000_000

StatKey = tuple[int, ...]
Entry = tuple[StatKey, fmt.RunRecord | None, dict[str, fmt.SummaryRow] | None]

_RECORD_FIELDS = tuple(fmt.RunRecord.__dataclass_fields__)


class ExperimentCache:
    """Parsed runs of one experiment folder, by run folder name."""

    def __init__(self, experiment_dir: Path) -> None:
        self.experiment_dir = experiment_dir
        self.path = experiment_dir.parent / CACHE_DIR / f"{experiment_dir.name}.json"
        self.entries: dict[str, Entry] = {}
        self.dirty = False
        self._loaded = False
        self._timer: threading.Timer | None = None
        self._save_lock = threading.Lock()

    def lookup(self, name: str, run_dir: str) -> Entry | None:
        """The entry of run folder ``name`` if its files are still those it was read from."""
        if not self._loaded:
            self._load()
        entry = self.entries.get(name)
        if entry is None:
            return None  # nothing to compare: no need to stat the run's files
        key = entry[0]
        if entry[2] is None:  # a record without rows: only run.json counts
            return entry if path_key(os.path.join(run_dir, fmt.RUN_FILE)) == key else None
        if entry[1] is None:  # rows without their record: the summary and the history count
            return entry if summary_key(run_dir) == key else None
        return entry if stat_key(run_dir) == key else None

    def put(self, name: str, entry: Entry) -> None:
        newest_ns = max(entry[0][0::3], default=0)  # the mtimes in the key
        running = entry[1] is not None and entry[1].status == "RUNNING"
        if running or time.time_ns() - newest_ns <= STABLE_AFTER_NS:
            self.entries.pop(name, None)
            return
        if len(self.entries) >= MAX_CACHED_RUNS_PER_EXPERIMENT:
            self.entries.clear()
        self.entries[name] = entry
        self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        for name in [n for n in self.entries if n not in present]:
            del self.entries[name]
            self.dirty = True

    def save_soon(self) -> None:
        """Write the cache file a moment after the search that filled it has returned.

        Writing takes a third of a cold search's time, so it is moved off that search's path:
        a timer writes it :data:`SAVE_DELAY_SECONDS` later, and interpreter exit writes
        whatever is still pending.
        """
        if not self.dirty or (self._timer is not None and self._timer.is_alive()):
            return
        self._timer = threading.Timer(SAVE_DELAY_SECONDS, self.save)
        self._timer.daemon = True
        self._timer.start()

    def save(self) -> None:
        """Write the cache file if anything changed; a read-only tree is fine (nothing saved)."""
        with self._save_lock:
            if self.dirty:
                self.dirty = False
                self._write()

    def _write(self) -> None:
        runs = {
            name: [list(key), None if rec is None else _record_list(rec), rows]
            for name, (key, rec, rows) in self.entries.items()
        }
        text = json.dumps(
            {"cache_version": CACHE_VERSION, "runs": runs},
            separators=(",", ":"),
            check_circular=False,
        )
        try:
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                atomic_write(ignore, "# runreport's search cache; safe to delete\n*\n")
            atomic_write(self.path, text)
        except OSError as exc:
            logger.debug("search cache not saved to %s: %s", self.path, exc)

    def _load(self) -> None:
        self._loaded = True
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("cache_version") != CACHE_VERSION:
                return
            for name, (key, record, rows) in data["runs"].items():
                parsed = None if record is None else fmt.RunRecord(*record)
                self.entries.setdefault(name, (tuple(key), parsed, rows))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            logger.debug("ignoring unreadable search cache %s: %s", self.path, exc)
            self.entries.clear()


def _record_list(record: fmt.RunRecord) -> list[object]:
    return [getattr(record, name) for name in _RECORD_FIELDS]


def file_key(info: os.stat_result) -> StatKey:
    """The part of a cache key that identifies one file: mtime (ns), size and inode."""
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def path_key(path: str) -> StatKey:
    """:func:`file_key` of the file at ``path``; ``()`` when there is none."""
    try:
        return file_key(os.stat(path))
    except (FileNotFoundError, NotADirectoryError):
        return ()


def summary_key(run_dir: str) -> StatKey:
    """The key of a run's ``summary.json`` with its ``metrics.tsv`` (``lstat``) as they are now."""
    try:
        history = file_key(os.lstat(os.path.join(run_dir, fmt.METRICS_FILE)))
    except (FileNotFoundError, NotADirectoryError):
        history = ()
    return path_key(os.path.join(run_dir, fmt.SUMMARY_FILE)) + history


def stat_key(run_dir: str) -> StatKey:
    """The cache key of a run folder as it is now: its ``run.json`` then its ``summary.json``."""
    key = path_key(os.path.join(run_dir, fmt.RUN_FILE))
    return key + path_key(os.path.join(run_dir, fmt.SUMMARY_FILE)) if key else key


_caches: dict[str, ExperimentCache] = {}
_lock = threading.Lock()


def for_experiment(experiment_dir: Path) -> ExperimentCache:
    """The process-wide cache of ``experiment_dir`` (loaded from disk on first use)."""
    name = str(experiment_dir)
    with _lock:
        cache = _caches.get(name)
        if cache is None:
            cache = _caches[name] = ExperimentCache(experiment_dir)
        return cache


def clear() -> None:
    """Forget every in-memory entry (the files on disk stay)."""
    with _lock:
        _caches.clear()


@atexit.register
def save_all() -> None:
    """Write every cache with unsaved entries (runs at interpreter exit)."""
    for cache in list(_caches.values()):
        cache.save()


def remove_files(root: Path) -> None:
    """Delete the on-disk cache of ``root``."""
    folder = root / CACHE_DIR
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            path.unlink()
