"""Metric histories of one run, read from ``metrics.tsv`` and downsampled for charts.

The history is parsed with pandas' C reader (fast for long histories); a file the fast path
cannot read exactly (a malformed line, a wrong field count, bad UTF-8) is parsed again line by
line with :func:`runreport.store.format.parse_metric_lines`, whose rules it follows: an
unterminated last line is a torn write and is skipped, malformed lines are skipped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runreport.site.downsample import MAX_POINTS, downsample
from runreport.store import format as fmt
from runreport.store.files import read_bytes

_COLUMNS = ["key", "timestamp", "step", "value"]
_READ_OPTIONS: dict[str, Any] = {
    "sep": "\t",
    "header": None,
    "names": _COLUMNS,
    "dtype": {"key": object, "timestamp": "int64", "step": "int64", "value": "float64"},
    "quoting": csv.QUOTE_NONE,
    "keep_default_na": False,
    "na_values": {"value": ["nan"]},
    "engine": "c",
    "encoding": "utf-8",
}


@dataclass(frozen=True, slots=True)
class History:
    """One metric's points in step order (then time), at most ``MAX_POINTS`` of them.

    ``count`` is how many points were logged before downsampling.
    """

    key: str
    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray
    count: int

    def to_data(self) -> dict[str, list[Any]]:
        """Columns for the site's data files (non-finite values as null)."""
        values: list[Any] = self.values.tolist()
        for index in np.flatnonzero(~np.isfinite(self.values)).tolist():
            values[index] = None
        return {"step": self.steps.tolist(), "time": self.times.tolist(), "value": values}

    def drawable(self) -> bool:
        return bool(np.isfinite(self.values).any())


def read_histories(
    run_dir: Path, counts: Mapping[str, int] | None = None, max_points: int = MAX_POINTS
) -> dict[str, History]:
    """Every metric of the run, sorted by key, each downsampled to ``max_points``.

    ``counts`` (metric key -> point count, from the run's summary) makes the histories match
    that summary though the run was logged to after it was read: each metric keeps only its
    first ``count`` points in file order, and a metric not in ``counts`` is left out.
    """
    data = read_bytes(Path(run_dir) / fmt.METRICS_FILE)
    end = data.rfind(b"\n") + 1
    if end == 0:
        return {}
    keys, times, steps, values = _parse(data[:end])
    codes, names = _factorize(keys)
    order = np.argsort(codes, kind="stable")  # each key's rows, in file order
    bounds = np.cumsum(np.bincount(codes, minlength=len(names)))
    out = {}
    for code, name in enumerate(names):
        start, stop = (int(bounds[code - 1]) if code else 0), int(bounds[code])
        if counts is not None:
            if name not in counts:
                continue
            stop = min(stop, start + max(counts[name], 0))
        part = order[start:stop]
        out[name] = _history(name, steps[part], times[part], values[part], max_points)
    return dict(sorted(out.items()))


def _parse(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lines = data.count(b"\n")
    if data.count(b"\t") == 3 * lines:
        try:
            import pandas as pd

            frame = pd.read_csv(io.BytesIO(data), **_READ_OPTIONS)
            if len(frame) == lines:
                return (
                    frame["key"].to_numpy(),
                    frame["timestamp"].to_numpy(),
                    frame["step"].to_numpy(),
                    frame["value"].to_numpy(),
                )
        except (ValueError, UnicodeDecodeError, OverflowError):
            pass
    rows = list(fmt.parse_metric_lines(data))
    return (
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=float),
    )


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
    import pandas as pd

    codes, uniques = pd.factorize(keys)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _history(
    key: str, steps: np.ndarray, times: np.ndarray, values: np.ndarray, max_points: int
) -> History:
    if (len(steps) > 1 and (np.diff(steps) < 0).any()) or _ties_unordered(steps, times):
        order = np.lexsort((times, steps))  # stable: equal points keep their log order
        steps, times, values = steps[order], times[order], values[order]
    count = len(steps)
    steps, times, values = downsample(steps, times, values, max_points)
    return History(key, steps, times, values, count)


def _ties_unordered(steps: np.ndarray, times: np.ndarray) -> bool:
    if len(steps) < 2:
        return False
    same = np.diff(steps) == 0
    return bool((same & (np.diff(times) < 0)).any())


def history_stat(run_dir: Path) -> tuple[int, int]:
    """(size, mtime_ns) of the run's ``metrics.tsv``, (0, 0) when it has none.

    ``lstat``: a symlink put there after the run was read (a loop, say) is not followed here;
    reading the history refuses it and the build reports the run.
    """
    try:
        st = os.lstat(Path(run_dir) / fmt.METRICS_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return 0, 0
    return st.st_size, st.st_mtime_ns
