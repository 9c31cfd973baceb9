"""Helpers shared by the benchmark scripts: timing, statistics, MLflow as an optional peer."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import platform
import statistics
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def have_mlflow() -> bool:
    return importlib.util.find_spec("mlflow") is not None


def quiet_mlflow() -> None:
    """Silence MLflow's import-time warnings and INFO logs so the figures stay readable."""
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # file store is opt-in since 3.13
    os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)


def machine() -> str:
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{python}, {os.cpu_count()} cores, {platform.machine()}"


def per_call_ns(fn, calls: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Time each of ``calls`` calls of ``fn(i)`` separately; return the sorted durations (ns)."""
    clock = time.perf_counter_ns
    times = []
    append = times.append
    for i in range(calls):
        start = clock()
        fn(i)
        append(clock() - start)
    times.sort()
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(sorted_values: list[int], fraction: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


def row(label: str, *values: object) -> None:
    print(f"  {label:<44}" + "".join(f"{v!s:>16}" for v in values))
