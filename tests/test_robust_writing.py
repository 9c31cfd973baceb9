"""Robust writing with real processes: concurrency, SIGKILL, SIGTERM, exit, torn lines."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import runreport
from runreport.store import format as fmt
from runreport.store.reader import read_run
from tests.conftest import python_env, run_python

WORKER = """
import sys, runreport
runreport.set_tracking_uri(sys.argv[1])
worker = sys.argv[2]
for i in range(int(sys.argv[3])):
    runreport.set_experiment("shared experiment")
    with runreport.start_run(run_name=f"{worker}-{i}"):
        runreport.log_params({"worker": worker, "i": i})
        runreport.set_tag("kind", "concurrent")
        for step in range(50):
            runreport.log_metric("loss", 1.0 / (step + 1), step=step)
"""


@pytest.mark.slow
def test_processes_logging_into_one_experiment_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(root), f"w{n}", "10"],
            env=python_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert [p.name for p in root.iterdir()] == [
        runreport.Client(str(root)).get_experiment_by_name("shared experiment").experiment_id
    ]
    client = runreport.Client(str(root))
    exp_id = client.get_experiment_by_name("shared experiment").experiment_id
    runs = client.search_runs([exp_id], max_results=1000)
    assert len(runs) == 40
    assert len({r.info.run_id for r in runs}) == 40
    assert sorted(r.info.run_name for r in runs) == sorted(
        f"w{n}-{i}" for n in range(4) for i in range(10)
    )
    for run in runs:
        assert run.info.status == "FINISHED"
        assert run.data.params["worker"] == run.info.run_name.split("-")[0]
        assert run.data.tags["kind"] == "concurrent"
        assert run.data.metric_summaries["loss"].count == 50


def _start_logger(root: Path, body: str) -> subprocess.Popen[str]:
    code = f"""
import sys, time, runreport
runreport.set_tracking_uri({str(root)!r})
run = runreport.start_run(run_name="victim")
print(run.info.run_id, flush=True)
{body}
"""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_dir(root: Path, run_id: str) -> Path:
    return runreport.Client(str(root)).run_dir(run_id)


def test_sigkill_leaves_a_readable_running_run_with_everything_flushed(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    proc = _start_logger(
        root,
        """
runreport.log_param("p", 1)
for i in range(5000):
    runreport.log_metric("m", float(i), step=i)
runreport.log_metric("m", 5000.0, step=5000, synchronous=True)
print("flushed", flush=True)
i = 5001
while True:
    runreport.log_metric("m", float(i), step=i)
    i += 1
""",
    )
    with proc:
        run_id = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "flushed", proc.stderr.read()
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    run = read_run(_run_dir(root, run_id))
    assert run.info.status == "RUNNING"
    assert run.data.params == {"p": "1"}
    summary = run.data.metric_summaries["m"]
    assert summary.count >= 5001 and summary.latest.step >= 5000
    history = runreport.Client(str(root)).get_metric_history(run_id, "m")
    assert [m.step for m in history[:5001]] == list(range(5001))


def test_sigterm_flushes_buffered_points_and_marks_the_run_killed(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    proc = _start_logger(
        root,
        """
for i in range(20000):
    runreport.log_metric("m", float(i), step=i)
print("logged", flush=True)
time.sleep(60)
""",
    )
    with proc:
        run_id = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "logged", proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM
    run = read_run(_run_dir(root, run_id))
    assert run.info.status == "KILLED"
    assert run.data.metric_summaries["m"].count == 20000


def test_interpreter_exit_ends_the_run_and_flushes(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    done = run_python(
        f"import runreport\nrunreport.set_tracking_uri({str(root)!r})\n"
        "runreport.log_metric('m', 1.0)\nrunreport.log_metric('m', 2.0, step=1)\n"
        "print(runreport.active_run().info.run_id)",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run = read_run(_run_dir(root, done.stdout.strip()))
    assert run.info.status == "FINISHED" and run.data.metric_summaries["m"].count == 2


def test_buffer_is_flushed_within_a_second_while_the_run_is_open(runs_root: Path) -> None:
    with runreport.start_run() as run:
        runreport.log_metric("m", 1.0)
        path = _run_dir(runs_root, run.info.run_id) / fmt.METRICS_FILE
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline and not (path.exists() and path.stat().st_size):
            time.sleep(0.05)
        assert path.stat().st_size > 0


def test_torn_last_line_is_skipped_on_read_and_cut_on_next_write(runs_root: Path) -> None:
    with runreport.start_run() as run:
        runreport.log_metric("m", 1.0, step=0, synchronous=True)
    run_dir = _run_dir(runs_root, run.info.run_id)
    with open(run_dir / fmt.METRICS_FILE, "ab") as handle:
        handle.write(b"m\t17\t1\t2.5")  # a crash mid-write: no newline
    assert runreport.get_run(run.info.run_id).data.metric_summaries["m"].count == 1
    client = runreport.Client()
    client.log_metric(run.info.run_id, "m", 3.0, step=2, synchronous=True)
    history = client.get_metric_history(run.info.run_id, "m")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (2, 3.0)]
    assert (run_dir / fmt.METRICS_FILE).read_bytes().endswith(b"\n")


def test_summary_lagging_behind_history_is_caught_up_for_running_runs(runs_root: Path) -> None:
    run = runreport.start_run()
    runreport.log_metric("m", 1.0, synchronous=True)
    run_dir = _run_dir(runs_root, run.info.run_id)
    with open(run_dir / fmt.METRICS_FILE, "ab") as handle:  # appended, summary never updated
        handle.write(fmt.format_metric_line("m", 99, 7, 9.0).encode())
    got = read_run(run_dir)
    assert got.data.metrics["m"] == 9.0 and got.data.metric_summaries["m"].count == 2
    runreport.end_run()
