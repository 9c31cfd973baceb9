"""Promise 2, concurrency: processes and threads logging at once lose nothing and make one
experiment, readers and builds that run meanwhile see each run as it was at some moment."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import runreport
from runreport.site import paths
from runreport.site.build import BuildOptions, BuildReport, build_site
from runreport.store import cache as run_cache
from runreport.store import format as fmt
from runreport.store import parse, reader
from runreport.store import writer as run_writer
from runreport.tracking.entities import Run
from tests.adversarial.conftest import finish, read_line, spawn
from tests.test_site_support import js_data

WAIT_FOR_START = """
import sys, time
from pathlib import Path
import runreport

root, worker, barrier = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
runreport.set_tracking_uri(root)
print("ready", flush=True)
deadline = time.monotonic() + 120
while not barrier.exists():
    if time.monotonic() > deadline:
        sys.exit("the start signal never came")
    time.sleep(0.002)
"""

# Each run: params, then tags, then metric points; so a run seen with metrics must have both.
RUNS_PER_WORKER = 50
STEPS = 20
MANY_RUNS = (
    WAIT_FOR_START
    + f"""
runreport.set_experiment("shared experiment")
for i in range({RUNS_PER_WORKER}):
    with runreport.start_run(run_name=f"w{{worker}}-{{i}}"):
        runreport.log_params({{"worker": worker, "i": i, "lr": 0.1}})
        runreport.set_tags({{"worker": str(worker), "kind": "concurrent"}})
        for step in range({STEPS}):
            value = worker * 1000 + i + step / 64
            runreport.log_metric("loss", value, step=step, synchronous=step == {STEPS // 2})
            runreport.log_metric("acc", -value, step=step)
"""
)


def _loss(worker: int, i: int, step: int) -> float:
    return worker * 1000 + i + step / 64


def _start_together(procs: list, barrier: Path) -> None:
    """Wait until every child has imported runreport, then let them all go at once."""
    for proc in procs:
        line = read_line(proc, timeout=120)
        if line != "ready\n":
            for other in procs:
                other.kill()
            raise AssertionError(f"a child did not start: {finish(proc)[1]}")
    barrier.touch()


def _running(procs: list, deadline: float) -> bool:
    """True while a child is still working (and the deadline has not passed)."""
    return any(proc.poll() is None for proc in procs) and time.monotonic() < deadline


def _expected_params(worker: int, i: int) -> dict[str, str]:
    return {"worker": str(worker), "i": str(i), "lr": "0.1"}


def _check_moment(run: Run) -> None:
    """A run as a reader saw it mid-write: every file whole, never half-parsed or mixed up.

    ``run.json`` (params, tags, status) is all of one write; the summary counts exactly the
    points logged up to its latest; a FINISHED run is complete. (Whether ``run.json`` and
    ``summary.json``, read one after the other, show the same moment is not asserted here: a
    reader descheduled between the two reads can pair an old ``run.json`` with a newer
    summary; see the report of issue 8.)
    """
    worker, i = map(int, run.info.run_name.removeprefix("w").split("-"))
    params = _expected_params(worker, i)
    tags = {k: v for k, v in run.data.tags.items() if k in ("worker", "kind")}
    assert run.data.params in ({}, params), run.info.run_name
    assert tags in ({}, {"worker": str(worker), "kind": "concurrent"}), run.info.run_name
    if tags:  # logged after the params, in a later write of the same file
        assert run.data.params == params
    summaries = run.data.metric_summaries
    for key, sign in (("loss", 1), ("acc", -1)):
        if key not in summaries:
            continue
        s = summaries[key]
        last = s.latest.step
        assert s.count == last + 1, (run.info.run_name, key)
        assert s.latest.value == sign * _loss(worker, i, last)
        low, high = sorted((sign * _loss(worker, i, 0), sign * _loss(worker, i, last)))
        assert (s.min, s.max) == (low, high)
    if run.info.status == "FINISHED":
        assert run.data.params == params
        assert {k: s.count for k, s in summaries.items()} == {"loss": STEPS, "acc": STEPS}


@pytest.mark.slow
def test_eight_processes_logging_fifty_runs_each_into_one_experiment(tmp_path: Path) -> None:
    root, barrier = tmp_path / "runs", tmp_path / "go"
    procs = [spawn(MANY_RUNS, root, n, barrier, cwd=tmp_path) for n in range(8)]
    scans = 0
    try:
        _start_together(procs, barrier)
        deadline = time.monotonic() + 120
        while _running(procs, deadline):  # read while they write
            runs, skipped = reader.scan_runs(root)
            assert skipped == []
            for run in runs:
                _check_moment(run)
            scans += 1
        for proc in procs:
            _, err = finish(proc, timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            finish(proc)

    client = runreport.Client(str(root))
    experiment = client.get_experiment_by_name("shared experiment")
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == [
        experiment.experiment_id
    ]
    runs = client.search_runs([experiment.experiment_id], max_results=10_000)
    assert len(runs) == 8 * RUNS_PER_WORKER
    assert len({r.info.run_id for r in runs}) == 8 * RUNS_PER_WORKER
    assert sorted(r.info.run_name for r in runs) == sorted(
        f"w{n}-{i}" for n in range(8) for i in range(RUNS_PER_WORKER)
    )
    for run in runs:
        worker, i = map(int, run.info.run_name.removeprefix("w").split("-"))
        assert run.info.status == "FINISHED"
        assert run.data.params == _expected_params(worker, i)
        assert run.data.tags["worker"] == str(worker) and run.data.tags["kind"] == "concurrent"
        _check_moment(run)
        history = reader.read_metric_history(reader.find_run_dir(root, run.info.run_id))
        assert [(m.key, m.step, m.value) for m in history if m.key == "loss"] == [
            ("loss", step, _loss(worker, i, step)) for step in range(STEPS)
        ]
        assert Counter(m.key for m in history) == {"loss": STEPS, "acc": STEPS}
    assert scans > 0


# ---------------------------------------------------------------- one run, many writers

THREADS = 4
POINTS = 2_000
PARAMS_EACH = 25
SHARED_COPIES = 10
PROCESS_WRITER = (
    WAIT_FOR_START
    + f"""
run_id = sys.argv[4]
client = runreport.Client(root)
for j in range({PARAMS_EACH}):
    client.log_param(run_id, f"proc{{worker}}.p{{j}}", j)
    client.set_tag(run_id, f"proc{{worker}}.tag{{j}}", j)
    client.set_tag(run_id, "last_writer", f"proc{{worker}}")
for step in range({POINTS}):
    client.log_metric(run_id, f"proc{{worker}}", worker * 100_000 + step, step=step,
                      synchronous=step % 250 == 249)
    client.log_metric(run_id, "shared", -(worker * 100_000 + step), step=step)
"""
)


def _thread_content(n: int) -> bytes:
    return bytes([65 + n]) * 200_000 + b"end"


def _log_from_thread(n: int, source: Path, start: threading.Barrier, errors: list) -> None:
    try:
        start.wait(timeout=60)
        own = source / f"thread{n}" / f"thread{n}.bin"
        shared = source / f"thread{n}" / "shared.bin"
        own.parent.mkdir()
        own.write_bytes(_thread_content(n))
        shared.write_bytes(_thread_content(n))
        for step in range(POINTS):
            value = n * 100_000 + step
            runreport.log_metric(f"thread{n}", value, step=step, synchronous=step % 250 == 249)
            runreport.log_metric("shared", value, step=step)
            if step % (POINTS // PARAMS_EACH) == 0:
                j = step // (POINTS // PARAMS_EACH)
                runreport.log_param(f"thread{n}.p{j}", j)
                runreport.set_tag(f"thread{n}.tag{j}", j)
                runreport.set_tag("last_writer", f"thread{n}")
            if step % (POINTS // SHARED_COPIES) == 0:
                runreport.log_artifact(str(shared))  # every thread, the same name
        runreport.log_artifact(str(own), "own")
    except BaseException as exc:  # reported by the test
        errors.append(exc)


@pytest.mark.slow
def test_threads_and_processes_logging_into_one_run_lose_nothing(
    runs_root: Path, tmp_path: Path
) -> None:
    run = runreport.start_run(run_name="shared run")
    run_id = run.info.run_id
    barrier, source = tmp_path / "go", tmp_path / "source"
    source.mkdir()
    start = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_log_from_thread, args=(n, source, start, errors))
        for n in range(THREADS)
    ]
    procs = [spawn(PROCESS_WRITER, runs_root, n, barrier, run_id, cwd=tmp_path) for n in range(2)]
    try:
        for thread in threads:
            thread.start()
        _start_together(procs, barrier)
        start.wait(timeout=60)
        for thread in threads:
            thread.join(timeout=120)
        for proc in procs:
            _, err = finish(proc, timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            finish(proc)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    runreport.end_run()

    client = runreport.Client()
    got = client.get_run(run_id)
    writers = [f"thread{n}" for n in range(THREADS)] + ["proc0", "proc1"]
    assert got.data.params == {f"{w}.p{j}": str(j) for w in writers for j in range(PARAMS_EACH)}
    tags = {k: v for k, v in got.data.tags.items() if k.startswith(("thread", "proc", "last"))}
    assert tags.pop("last_writer") in writers
    assert tags == {f"{w}.tag{j}": str(j) for w in writers for j in range(PARAMS_EACH)}

    history = reader.read_metric_history(client.run_dir(run_id))
    by_key: dict[str, list[tuple[int, float]]] = {}
    for m in history:
        by_key.setdefault(m.key, []).append((m.step, m.value))
    offsets = {f"thread{n}": n * 100_000 for n in range(THREADS)}
    offsets |= {f"proc{n}": n * 100_000 for n in range(2)}
    for writer, offset in offsets.items():
        assert by_key[writer] == [(s, float(offset + s)) for s in range(POINTS)], writer
    expected_shared = Counter(
        (s, float(n * 100_000 + s)) for n in range(THREADS) for s in range(POINTS)
    ) + Counter((s, -float(n * 100_000 + s)) for n in range(2) for s in range(POINTS))
    assert Counter(by_key.pop("shared")) == expected_shared
    assert set(by_key) == set(writers)
    summaries = got.data.metric_summaries
    assert {k: s.count for k, s in summaries.items()} == {
        **{w: POINTS for w in writers},
        "shared": (THREADS + 2) * POINTS,
    }

    artifacts = client.artifacts_dir(run_id)
    assert sorted(p.relative_to(artifacts).as_posix() for p in artifacts.rglob("*")) == sorted(
        ["own", "shared.bin", *(f"own/thread{n}.bin" for n in range(THREADS))]
    )
    assert (artifacts / "shared.bin").read_bytes() in {_thread_content(n) for n in range(THREADS)}
    for n in range(THREADS):
        assert (artifacts / "own" / f"thread{n}.bin").read_bytes() == _thread_content(n)


# ---------------------------------------------------------------- building while writing

BUILD_WRITERS = 3
BUILD_RUNS = 6
CHUNKS, CHUNK = 5, 20
SLOW_RUNS = (
    WAIT_FOR_START
    + f"""
runreport.set_experiment("built while written")
for i in range({BUILD_RUNS}):
    with runreport.start_run(run_name=f"w{{worker}}-{{i}}"):
        runreport.log_params({{"worker": worker, "i": i, "lr": 0.1}})
        runreport.set_tags({{"worker": str(worker), "kind": "concurrent"}})
        runreport.log_text(f"notes of w{{worker}}-{{i}}", "notes.txt")
        for chunk in range({CHUNKS}):
            for step in range(chunk * {CHUNK}, (chunk + 1) * {CHUNK}):
                value = worker * 1000 + i + step / 64
                flush = step % {CHUNK} == {CHUNK - 1}
                runreport.log_metric("loss", value, step=step, synchronous=flush)
            time.sleep(0.08)
"""
)


def _check_built_run(site: Path, run_id: str) -> str:
    """One run's data file in a site built while it was written; return its status."""
    data = js_data(site / paths.run_data(run_id))
    worker, i = map(int, data["name"].removeprefix("w").split("-"))
    params = _expected_params(worker, i)
    assert data["params"] in ({}, params)
    metric = data["metrics"].get("loss")
    steps = data["history"].get("loss", {}).get("step", [])
    values = data["history"].get("loss", {}).get("value", [])
    # the history is whole and in order: no lost, doubled or torn point
    assert steps == list(range(len(steps)))
    assert values == [_loss(worker, i, s) for s in steps]
    if metric is not None:
        last = metric["step"]
        assert metric["last"] == metric["max"] == _loss(worker, i, last)
        assert metric["min"] == _loss(worker, i, 0)
        assert len(steps) >= last + 1  # the history is read after the summary: never behind
    if data["status"] == "FINISHED":
        assert data["params"] == params
        assert metric["step"] == CHUNKS * CHUNK - 1 and len(steps) == CHUNKS * CHUNK
    return str(data["status"])


def _check_build(report: BuildReport, site: Path) -> list[str]:
    assert report.problems == []  # no run was caught half-created
    run_ids = [p.stem for p in (site / "runs").glob("*.js")] if (site / "runs").is_dir() else []
    assert len(run_ids) == report.runs
    return [_check_built_run(site, run_id) for run_id in run_ids]


@pytest.mark.slow
def test_a_build_while_runs_are_written_shows_each_run_as_it_was_at_some_moment(
    tmp_path: Path,
) -> None:
    root, barrier, site = tmp_path / "runs", tmp_path / "go", tmp_path / "site"
    procs = [spawn(SLOW_RUNS, root, n, barrier, cwd=tmp_path) for n in range(BUILD_WRITERS)]
    statuses: list[str] = []
    builds = 0
    try:
        _start_together(procs, barrier)
        deadline = time.monotonic() + 60
        while not any(root.glob("*/*/" + fmt.RUN_FILE)) and time.monotonic() < deadline:
            time.sleep(0.01)
        deadline = time.monotonic() + 120
        while _running(procs, deadline):
            report = build_site(BuildOptions(runs_dirs=[root], output=site))
            statuses += _check_build(report, site)
            builds += 1
        for proc in procs:
            _, err = finish(proc, timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            finish(proc)
    assert builds > 0 and "RUNNING" in statuses  # some build really ran during the writes
    final = _check_build(build_site(BuildOptions(runs_dirs=[root], output=site)), site)
    assert final == ["FINISHED"] * (BUILD_WRITERS * BUILD_RUNS)


def test_a_run_page_shows_its_summary_and_history_from_one_moment(
    runs_root: Path, tmp_path: Path
) -> None:
    """Points logged while a build runs appear in a run's page whole, or not at all.

    The build's progress callback runs after each run page is made; it logs more points into
    the runs whose pages are still to be made, as a training job could at that moment.
    """
    client = runreport.Client()
    experiment_id = client.get_or_create_experiment("Default").experiment_id
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(3)]
    for run_id in run_ids:
        for step in range(10):
            client.log_metric(run_id, "loss", float(step), step=step)
        client.log_metric(run_id, "loss", 10.0, step=10, synchronous=True)

    def log_more(done: int, total: int) -> None:
        for run_id in run_ids:
            step = len(client.get_metric_history(run_id, "loss"))
            client.log_metric(run_id, "loss", float(step), step=step, synchronous=True)

    site = tmp_path / "site"
    report = build_site(BuildOptions(runs_dirs=[runs_root], output=site), progress=log_more)
    assert report.problems == [] and report.runs == 3
    for run_id in run_ids:
        data = js_data(site / paths.run_data(run_id))
        steps = data["history"]["loss"]["step"]
        assert steps == list(range(len(steps)))
        assert data["metrics"]["loss"]["step"] == steps[-1], "summary and history disagree"


def test_a_record_replaced_while_the_summary_is_read_is_read_again(tmp_path: Path) -> None:
    """A reader pairs a run's record and summary only if both were current together.

    ``parse_run`` calls ``keep`` between reading ``run.json`` and ``summary.json``; here that is
    the moment a writer replaces ``run.json`` (a real locked update, as ``set_tag`` makes).
    """
    client = runreport.Client(str(tmp_path / "runs"))
    run = client.create_run(client.create_experiment("e"))
    client.log_metric(run.info.run_id, "m", 1.0, synchronous=True)
    run_dir = tmp_path / "runs" / run.info.experiment_id / run.info.run_id
    seen: list[str] = []

    def writer_strikes_once(record: fmt.RunRecord) -> bool:
        seen.append(record.tags.get("moment", "before"))
        if len(seen) == 1:
            run_writer.update_run(run_dir, lambda r: r.tags.__setitem__("moment", "after"))
        return True

    key, record, rows = parse.parse_run(run_dir, writer_strikes_once)
    assert seen == ["before", "after"]  # the first reading was thrown away
    assert record.tags["moment"] == "after" and rows is not None and "m" in rows
    assert key[:3] == run_cache.file_key((run_dir / fmt.RUN_FILE).stat())


def test_a_summary_replaced_while_the_record_is_read_is_read_again(tmp_path: Path) -> None:
    """The same when a filter on metrics alone reads ``summary.json`` first: ``keep_rows`` is
    called between reading it and reading ``run.json``; a writer appends a point then."""
    client = runreport.Client(str(tmp_path / "runs"))
    run = client.create_run(client.create_experiment("e"))
    client.log_metric(run.info.run_id, "m", 1.0, timestamp=0, step=0, synchronous=True)
    run_dir = tmp_path / "runs" / run.info.experiment_id / run.info.run_id
    seen: list[int] = []

    def writer_strikes_once(rows: dict[str, list[float]]) -> bool:
        seen.append(int(rows["m"][fmt.COUNT]))
        if len(seen) == 1:
            run_writer.MetricAppender(run_dir).append([("m", 1, 1, 2.0)])
        return True

    key, record, rows = parse.parse_run(run_dir, keep_rows=writer_strikes_once)
    assert seen == [1, 2]  # the first reading was thrown away
    assert record is not None and rows is not None and rows["m"][fmt.COUNT] == 2
    assert key[3:] == run_cache.file_key((run_dir / fmt.SUMMARY_FILE).stat())
