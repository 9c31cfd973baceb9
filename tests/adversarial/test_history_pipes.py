"""A run's ``metrics.tsv`` swapped for a named pipe (or a folder, or a symlink) after it was
read: the history readers refuse it at once, naming the file, and never block on it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import runreport
from runreport.exceptions import RunFormatError
from runreport.site import paths
from runreport.site.build import BuildOptions, build_site
from runreport.store import format as fmt
from runreport.store import reader
from runreport.store.files import read_bytes
from runreport.store.writer import MetricAppender
from tests.adversarial.conftest import guarded

TIMEOUT = 10.0


def _logged_run(root: Path, points: int = 3) -> Path:
    """The folder of a finished run with ``points`` points of "loss"."""
    with runreport.start_run() as run:
        for step in range(points):
            runreport.log_metric("loss", float(step), step=step)
    run_dir = reader.find_run_dir(root, run.info.run_id)
    assert run_dir is not None and (run_dir / fmt.METRICS_FILE).is_file()
    return run_dir


def _as_pipe(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def test_read_bytes_refuses_a_pipe_at_once(tmp_path: Path) -> None:
    pipe = tmp_path / fmt.METRICS_FILE
    os.mkfifo(pipe)
    with pytest.raises(RunFormatError, match="named pipe") as caught:
        guarded(lambda: read_bytes(pipe), TIMEOUT, tmp_path)
    assert caught.value.path == str(pipe)


@pytest.mark.parametrize("kind", ["folder", "symlink"])
def test_read_bytes_refuses_what_is_not_a_regular_file(kind: str, tmp_path: Path) -> None:
    (tmp_path / "real.tsv").write_text("loss\t1\t0\t0.5\n", encoding="utf-8")
    path = tmp_path / fmt.METRICS_FILE
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "real.tsv")
    with pytest.raises(RunFormatError) as caught:
        read_bytes(path)
    assert caught.value.path == str(path) and "regular files" in caught.value.reason
    assert read_bytes(tmp_path / "missing.tsv") == b""


def test_logging_to_a_run_whose_history_is_a_pipe_fails_at_once(runs_root: Path) -> None:
    run_dir = _logged_run(runs_root)
    metrics = run_dir / fmt.METRICS_FILE
    _as_pipe(metrics)
    appender = MetricAppender(run_dir)
    with pytest.raises(RunFormatError, match="named pipe"):
        guarded(lambda: appender.append([("loss", 1, 9, 0.1)]), TIMEOUT, runs_root)


def _as_symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)  # metrics.tsv -> metrics.tsv


def _as_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    ("swap_to", "reason"),
    [
        (_as_pipe, "is a named pipe (FIFO);"),
        (_as_symlink_loop, "is a symbolic link;"),
        (_as_folder, "is a directory;"),
    ],
)
def test_a_history_that_becomes_a_pipe_during_a_build_is_reported(
    runs_root: Path, tmp_path: Path, swap_to: Callable[[Path], None], reason: str
) -> None:
    """The build's progress callback runs after each run page is made; it turns the histories
    into pipes (or symlink loops, or folders), as a hostile process could at that moment: the
    run whose page is still to be made is reported (in the build's problems and on the home
    page), its page says why it is not shown, and the build goes on."""
    run_dirs = [_logged_run(runs_root), _logged_run(runs_root)]
    histories = [run_dir / fmt.METRICS_FILE for run_dir in run_dirs]

    def swap(done: int, total: int) -> None:
        if done == 1:
            for history in histories:
                swap_to(history)

    site = tmp_path / "site"
    options = BuildOptions(runs_dirs=[runs_root], output=site)
    report = guarded(lambda: build_site(options, progress=swap), TIMEOUT, runs_root)
    (problem,) = report.problems
    assert problem.path in {str(run_dir) for run_dir in run_dirs}
    assert problem.reason.startswith(f"metrics.tsv: {reason}")
    for run_dir in run_dirs:  # every run keeps a page, so its experiment's links hold
        page = (site / paths.run_page(run_dir.name)).read_text(encoding="utf-8")
        assert ("could not be shown" in page) is (str(run_dir) == problem.path)
    home = (site / paths.HOME).read_text(encoding="utf-8")
    assert "could not be read and were left out" in home and reason in home
