"""Shared fixtures: a fresh runs folder per test and clean fluent-API state."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runreport
from runreport.tracking import fluent, location

SRC = Path(__file__).resolve().parents[1] / "src"


def _reset_fluent_state() -> None:
    fluent._end_all(runreport.RunStatus.FINISHED)
    fluent._active_experiment_id = None
    fluent._last_active_run_id = None
    location.reset_tracking_uri()


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh tracking root in ``tmp_path/runs``, set as the tracking URI."""
    monkeypatch.delenv("RUNREPORT_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    root = tmp_path / "runs"
    _reset_fluent_state()
    runreport.set_tracking_uri(str(root))
    yield root
    _reset_fluent_state()


def python_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python that imports this checkout's runreport."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def run_python(
    code: str, cwd: Path, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (real process) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=python_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
        },
    )
    return done.stdout


def import_mlflow(*submodules: str) -> Any:
    """MLflow (the optional test peer) with ``submodules`` imported; a skip when it is missing,
    a failure under CI=true, where .ci/run installs it."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow warns on import
        if os.environ.get("CI") == "true":
            import mlflow
        else:
            mlflow = pytest.importorskip("mlflow")
        for name in submodules:
            importlib.import_module(f"mlflow.{name}")
    return mlflow


CHROMIUM = "/usr/bin/chromium"


def browser_unavailable(reason: str) -> None:
    """Skip a browser test, or fail it under CI=true (CI must never pass without them)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright driver for the whole session (its sync API cannot be started twice at
    once), for every fixture that launches Debian's chromium with it."""
    if not Path(CHROMIUM).exists():
        browser_unavailable(f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as driver:
        yield driver
