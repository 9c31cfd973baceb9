"""Buffered metric writing: ``log_metric`` appends to memory, a flusher writes to disk.

Points are written at least once a second by a background thread, when a run ends, when a
buffer grows past :data:`MAX_PENDING` points, at interpreter exit and on SIGTERM. Memory stays
bounded however long a history grows. After ``fork`` the child drops the buffers it inherited
(the parent writes them) and starts its own flusher.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from runreport.store.writer import MetricAppender

FLUSH_INTERVAL_SECONDS = 0.5
MAX_PENDING = 50_000

logger = logging.getLogger(__name__)


class MetricBuffer:
    """Pending points of one run. ``add`` is the hot path of ``log_metric``: keep it tiny."""

    __slots__ = ("_appender", "_flush_lock", "_points", "run_dir")

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._points: deque[tuple[str, int, int, float]] = deque()
        self._appender = MetricAppender(run_dir)
        self._flush_lock = threading.Lock()

    def add(self, key: str, timestamp: int, step: int, value: float) -> None:
        points = self._points
        points.append((key, timestamp, step, value))
        if len(points) >= MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        """Write every pending point; on failure keep them pending and raise."""
        with self._flush_lock:
            points = self._points
            batch = [points.popleft() for _ in range(len(points))]
            if not batch:
                return
            try:
                self._appender.append(batch)
            except BaseException:
                points.extendleft(reversed(batch))
                raise

    def discard(self) -> None:
        self._points.clear()


class BufferRegistry:
    """The process's metric buffers by run id, and the thread that flushes them."""

    def __init__(self) -> None:
        self._buffers: dict[str, MetricBuffer] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stopping = False

    def get(self, run_id: str, run_dir: Path) -> MetricBuffer:
        buffer = self._buffers.get(run_id)
        if buffer is None:
            with self._lock:
                buffer = self._buffers.setdefault(run_id, MetricBuffer(run_dir))
            self._ensure_thread()
        return buffer

    def flush(self, run_id: str) -> None:
        buffer = self._buffers.get(run_id)
        if buffer is not None:
            buffer.flush()

    def close(self, run_id: str) -> None:
        """Flush and forget the buffer of a run that ended."""
        buffer = self._buffers.get(run_id)
        if buffer is not None:
            buffer.flush()
            with self._lock:
                self._buffers.pop(run_id, None)

    def flush_all(self) -> None:
        for run_id, buffer in list(self._buffers.items()):
            try:
                buffer.flush()
            except Exception:  # keep flushing the other runs; report this one
                logger.exception("could not write metrics of run %s to %s", run_id, buffer.run_dir)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="runreport-metric-flusher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(FLUSH_INTERVAL_SECONDS)
            self.flush_all()

    def after_fork_in_child(self) -> None:
        for buffer in self._buffers.values():
            buffer.discard()
        self._buffers.clear()
        self._lock = threading.Lock()
        self._thread = None
        self._wake = threading.Event()


registry = BufferRegistry()
os.register_at_fork(after_in_child=registry.after_fork_in_child)
atexit.register(registry.flush_all)

_sigterm_hooks: list[Callable[[], None]] = []
_sigterm_installed = False


def on_sigterm(hook: Callable[[], None]) -> None:
    """Run ``hook`` (after flushing every buffer) when the process gets SIGTERM.

    Installed only from the main thread and only when nobody else handles SIGTERM; afterwards
    the default action runs, so the process still dies of SIGTERM as its parent expects.
    """
    global _sigterm_installed
    if hook not in _sigterm_hooks:
        _sigterm_hooks.append(hook)
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return
    signal.signal(signal.SIGTERM, _handle_sigterm)
    _sigterm_installed = True


def _handle_sigterm(signum: int, frame: object) -> None:
    registry.flush_all()
    for hook in _sigterm_hooks:
        try:
            hook()
        except Exception:
            logger.exception("runreport SIGTERM hook failed")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
