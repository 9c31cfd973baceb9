"""Helpers shared by the adversarial tests: child Python processes and reading a built site."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

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
