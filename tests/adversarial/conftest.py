"""Helpers shared by the adversarial tests: child Python processes and reading a built site."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import python_env


def spawn(code: str, *args: object, cwd: Path) -> subprocess.Popen[str]:
    """Start ``python -c code args...`` with this checkout's runreport; stdout and stderr piped.

    Close its pipes with :func:`finish` (or a ``with`` block).
    """
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The child's next stdout line, waiting at most ``timeout`` seconds in all.

    Reads the pipe byte by byte, below Python's buffer, so what the child prints next stays in
    the pipe for ``communicate()``. Returns what came so far when the time is up or at EOF.
    """
    assert proc.stdout is not None
    fd, line, deadline = proc.stdout.fileno(), b"", time.monotonic() + timeout
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        byte = os.read(fd, 1) if ready else b""
        if not byte:
            break
        line += byte
    return line.decode("utf-8", errors="replace")


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """Wait for the child (killing it after ``timeout`` seconds); return its stdout and stderr."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"child still running after {timeout} s\n{err}") from None


def site_files(site: Path) -> list[str]:
    """Every file and folder of a built site, relative and "/"-separated."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))


class Hung(AssertionError):
    """An entry point did not return in time (a blocking open, an endless loop)."""


def release_fifos(root: Path) -> None:
    """Give every named pipe under ``root`` a writer for a moment, so a reader blocked on one
    returns (after a hang has been recorded) instead of blocking the test run forever."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            try:
                if stat.S_ISFIFO(os.lstat(path).st_mode):
                    os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
            except OSError:
                continue


def guarded(fn: Callable[[], Any], timeout: float, root: Path | None = None) -> Any:
    """``fn()`` in a worker thread; Hung when it has not returned after ``timeout`` seconds."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        if root is not None:
            release_fifos(root)
        worker.join(5)
        raise Hung(f"did not return within {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
