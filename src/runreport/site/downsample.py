"""Shape-keeping downsampling of long metric histories (min/max per bucket).

A 1,000,000-step history becomes at most ``max_points`` points: the points between the first
and the last are cut into ``(max_points - 2) // 2`` buckets of equal length and each bucket
keeps its lowest and its highest point, in step order, so spikes and dips survive and the line
looks like the full one. The first and last points are always kept. Vectorised with numpy: a
million points take a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_POINTS = 500


def downsample_indices(
    values: Sequence[float] | np.ndarray, max_points: int = MAX_POINTS
) -> np.ndarray:
    """Indices (sorted) of the points to keep so that at most ``max_points`` remain."""
    array = np.asarray(values, dtype=float)
    count = len(array)
    if count <= max_points:
        return np.arange(count)
    buckets = max(1, (max_points - 2) // 2)
    inner = array[1:-1]
    bucket = np.arange(count - 2) * buckets // (count - 2)  # non-decreasing, 0..buckets-1
    starts = np.flatnonzero(np.diff(bucket, prepend=-1))
    sizes = np.diff(np.append(starts, count - 2))
    nan = np.isnan(inner)
    low = np.where(nan, np.inf, inner)  # NaN never wins a bucket
    high = np.where(nan, -np.inf, inner)
    picks = [
        _first_per_bucket(low == np.repeat(np.minimum.reduceat(low, starts), sizes), bucket),
        _first_per_bucket(high == np.repeat(np.maximum.reduceat(high, starts), sizes), bucket),
    ]
    keep = np.concatenate([[0, count - 1], *(p + 1 for p in picks)])
    return np.unique(keep)


def _first_per_bucket(hits: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    index = np.flatnonzero(hits)
    owner = bucket[index]
    first = np.ones(len(index), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    return index[first]


def downsample(
    steps: np.ndarray, times: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of one history (already in step order) reduced to at most ``max_points``."""
    if len(values) <= max_points:
        return steps, times, values
    index = downsample_indices(values, max_points)
    return steps[index], times[index], values[index]
