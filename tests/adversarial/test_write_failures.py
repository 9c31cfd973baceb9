"""Promise 1, continued: a metric write that fails part way (a full disk, a file size limit, a
summary that cannot be replaced) loses no point and writes none twice when it is retried.

The buffer keeps the points of a failed flush and tries again later; the appender undoes what
the failed attempt wrote, so the retry is the only copy. The failures here are real: a file
size limit set with ``setrlimit`` in a child process, and a folder standing where
``summary.json`` must be renamed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runreport import Client
from runreport.store import format as fmt
from runreport.store import parse, reader
from runreport.tracking.buffer import MetricBuffer


def _new_run(root: Path) -> Path:
    client = Client(str(root))
    run = client.create_run(client.create_experiment("e"))
    return root / run.info.experiment_id / run.info.run_id


def _points(first: int, count: int) -> list[tuple[str, int, int, float]]:
    return [("loss", 1_000 + i, i, i / 8) for i in range(first, first + count)]


def _history(run_dir: Path) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in reader.read_metric_history(run_dir, "loss")]


def test_a_summary_that_cannot_be_replaced_leaves_the_points_pending_once(
    tmp_path: Path,
) -> None:
    run_dir = _new_run(tmp_path / "runs")
    buffer = MetricBuffer(run_dir)
    for point in _points(0, 10):
        buffer.add(*point)
    buffer.flush()
    blocker = run_dir / fmt.SUMMARY_FILE
    blocker.unlink()
    blocker.mkdir()  # the summary's atomic rename now fails, after the history was appended
    (blocker / "keep").write_text("x")
    for point in _points(10, 10):
        buffer.add(*point)
    with pytest.raises(OSError):
        buffer.flush()
    assert _history(run_dir) == [(i, i / 8) for i in range(10)]  # the failed append was undone
    shutil.rmtree(blocker)
    buffer.flush()  # the kept points, written once
    assert _history(run_dir) == [(i, i / 8) for i in range(20)]
    summary = parse.read_summary(run_dir)
    assert summary is not None and summary.metrics["loss"][fmt.COUNT] == 20
    assert summary.covered_bytes == (run_dir / fmt.METRICS_FILE).stat().st_size


CHILD = """
import resource, signal, sys
from pathlib import Path
from runreport.tracking.buffer import MetricBuffer

run_dir, limit = Path(sys.argv[1]), int(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
buffer = MetricBuffer(run_dir)
for i in range(40):
    buffer.add("loss", 1_000 + i, i, i / 8)
buffer.flush()
for i in range(40, 400):
    buffer.add("loss", 1_000 + i, i, i / 8)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
try:
    buffer.flush()
except OSError as exc:
    print("failed:", exc.errno)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
buffer.flush()
print("flushed")
"""


def test_a_history_write_cut_off_by_a_file_size_limit_is_undone_and_retried(
    tmp_path: Path,
) -> None:
    run_dir = _new_run(tmp_path / "runs")
    limit = 4_096  # the first 40 points fit; the next 360 are cut off part way through a line
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(run_dir), str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "failed: 27" in done.stdout  # EFBIG: the limit really cut the write
    assert done.stdout.rstrip().endswith("flushed")
    assert _history(run_dir) == [(i, i / 8) for i in range(400)]
    summary = parse.read_summary(run_dir)
    assert summary is not None and summary.metrics["loss"][fmt.COUNT] == 400
