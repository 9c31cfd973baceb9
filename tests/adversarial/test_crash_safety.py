"""Promise 1, crash safety: a training process killed at a random moment loses nothing it
flushed, its run stays readable (and RUNNING), the site builds, and a half-written temporary
file is never trusted by any reader."""

from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import runreport
from runreport.site import paths
from runreport.site.build import BuildOptions, build_site
from runreport.store import cache as run_cache
from runreport.store import format as fmt
from runreport.store import reader
from tests.adversarial.conftest import finish, read_line, site_files, spawn
from tests.test_site_support import js_data

# What the training child logs. The child runs this text and so does this module (the exec
# below), so both sides compute the same expected values.
SHARED = '''
import hashlib

KEYS = ("loss", "accuracy", "lr")
STEPS = 240
FLUSH_EVERY = 40
ARTIFACT_EVERY = 80
FOLDER_FILES = ("MLmodel", "conda.yaml", "model.bin", *(f"weights/part-{i}.bin" for i in range(6)))


def value(k, r, step):
    return r * 100_000 + step + k / 4


def params_of(seed, r):
    return {"seed": str(seed), "r": str(r), "optimizer": "adam", "batch_size": "32"}


def tags_of(seed, r):
    return {"phase": "train", "trial": f"{seed}-{r}"}


def content(path):
    """The bytes of the artifact at ``path`` (relative to artifacts/): ASCII, 4 to 260 KB."""
    digest = hashlib.sha256(path.encode()).hexdigest()
    return digest.encode() * (64 + int(digest[:2], 16) * 16)
'''
_shared: dict[str, Any] = {}
exec(SHARED, _shared)
KEYS, STEPS, FOLDER_FILES = _shared["KEYS"], _shared["STEPS"], _shared["FOLDER_FILES"]
value, params_of, tags_of, content = (
    _shared["value"],
    _shared["params_of"],
    _shared["tags_of"],
    _shared["content"],
)

CHILD = (
    SHARED
    + '''
import itertools, sys, time
from pathlib import Path
import runreport

root, seed, scratch = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])


def say(*words):
    print(*words, flush=True)


def source(relative):
    """The local file logged as artifact ``relative`` (written once)."""
    path = scratch / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content(relative))
    return path


say("ready")
runreport.set_tracking_uri(root)
runreport.set_experiment("crash trials")
for r in itertools.count():
    rid = runreport.start_run(run_name=f"trial-{seed}-{r}").info.run_id
    say("run", rid, r)
    runreport.log_params(params_of(seed, r))
    say("params", rid)
    runreport.set_tags(tags_of(seed, r))
    say("tags", rid)
    for step in range(STEPS):
        flush = step % FLUSH_EVERY == FLUSH_EVERY - 1
        for k, key in enumerate(KEYS):
            runreport.log_metric(key, value(k, r, step), step=step, synchronous=flush and k == 2)
        if flush:
            say("flushed", rid, step)
        if step % ARTIFACT_EVERY == 0:
            name = f"checkpoints/ckpt-{step}.bin"
            runreport.log_artifact(str(source(name)), "checkpoints")
            say("artifact", rid, name)
            name = f"notes/step-{step}.txt"
            runreport.log_text(content(name).decode(), name)
            say("artifact", rid, name)
            folder = f"model-{step}"
            for file in FOLDER_FILES:
                source(f"{folder}/{file}")
            runreport.log_artifacts(str(scratch / folder), folder)
            say("artifact", rid, folder)
        time.sleep(0.001)
    say("ending", rid)
    runreport.end_run()
    say("ended", rid)
'''
)

SEED = int(os.environ.get("RUNREPORT_TEST_SEED", "8000"))  # set it to replay a failure
TRIALS = 20
MAX_DELAY = 0.9  # seconds after the child imported runreport; a run takes about 0.4 s


@dataclass
class Reported:
    """What the child said it had done in one run before it was killed."""

    run_id: str
    r: int
    params: bool = False
    tags: bool = False
    flushed: int = -1  # every point up to this step was written synchronously
    artifacts: list[str] = field(default_factory=list)
    ending: bool = False
    ended: bool = False


def _parse(out: str) -> dict[str, Reported]:
    runs: dict[str, Reported] = {}
    for line in out[: out.rfind("\n") + 1].splitlines():
        word, *rest = line.split()
        if word == "run":
            runs[rest[0]] = Reported(rest[0], int(rest[1]))
            continue
        if word == "ready":
            continue
        rep = runs[rest[0]]
        if word == "flushed":
            rep.flushed = int(rest[1])
        elif word == "artifact":
            rep.artifacts.append(rest[1])
        else:
            setattr(rep, word, True)  # params, tags, ending, ended
    return runs


def _kill_at_random(root: Path, scratch: Path, seed: int, delay: float) -> dict[str, Reported]:
    with spawn(CHILD, root, seed, scratch, cwd=scratch) as proc:
        ready = read_line(proc, timeout=60)
        if ready != "ready\n":
            proc.kill()
            raise AssertionError(f"child did not start: {finish(proc)[1]}")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, err = finish(proc, timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"child failed on its own:\n{err}"
    return _parse(out)


def _artifact_files(client: runreport.Client, run_id: str, path: str | None = None) -> list[str]:
    files = []
    for info in client.list_artifacts(run_id, path):
        files.extend(_artifact_files(client, run_id, info.path) if info.is_dir else [info.path])
    return files


def _check_run(root: Path, run_dir: Path, rep: Reported, seed: int) -> None:
    """Everything the child reported is there, exactly once, and nothing half-done is shown."""
    run = reader.read_run(run_dir)
    if rep.ended:
        assert run.info.status == "FINISHED"
    elif rep.ending:  # killed inside end_run: either state is a moment that existed
        assert run.info.status in ("RUNNING", "FINISHED")
    else:
        assert run.info.status == "RUNNING"
    expected = params_of(seed, rep.r)
    assert run.data.params == expected if rep.params else run.data.params in ({}, expected)
    tags = tags_of(seed, rep.r)
    seen = {k: v for k, v in run.data.tags.items() if k in tags}
    assert seen == tags if rep.tags else seen in ({}, tags)
    _check_metrics(run, reader.read_metric_history(run_dir), rep)
    _check_artifacts(runreport.Client(str(root)), rep)


def _check_metrics(run: runreport.Run, history: list[runreport.Metric], rep: Reported) -> None:
    for k, key in enumerate(KEYS):
        points = [(m.step, m.value) for m in history if m.key == key]
        # in log order, each step once, exact values: nothing lost, doubled or torn
        assert points == [(s, value(k, rep.r, s)) for s in range(len(points))], key
        assert len(points) >= rep.flushed + 1, f"{key}: flushed points lost"
        if rep.ended:
            assert len(points) == STEPS
        if not points:
            assert key not in run.data.metric_summaries
            continue
        summary = run.data.metric_summaries[key]
        last = len(points) - 1
        assert (summary.count, summary.latest.step, summary.latest.value) == (
            len(points),
            last,
            value(k, rep.r, last),
        )
        assert (summary.min, summary.max) == (value(k, rep.r, 0), value(k, rep.r, last))


def _check_artifacts(client: runreport.Client, rep: Reported) -> None:
    files = _artifact_files(client, rep.run_id)
    artifacts = client.artifacts_dir(rep.run_id)
    for path in files:
        assert not any(part.startswith(fmt.TEMP_PREFIX) for part in path.split("/")), path
        assert (artifacts / path).read_bytes() == content(path), f"{path} is not whole"
    folders = {path.split("/")[0] for path in files if path.startswith("model-")}
    for folder in folders:  # a folder is shown whole or not at all
        assert {f"{folder}/{f}" for f in FOLDER_FILES} <= set(files), folder
    for path in rep.artifacts:
        assert path in folders or path in files, f"reported artifact {path} is missing"


def _check_root(root: Path, experiment_id: str) -> None:
    """Every run folder is readable by the bulk reader and by search, none is skipped."""
    folders = sorted(p.name for p in reader.run_dirs(root / experiment_id))
    runs, skipped = reader.scan_runs(root, [experiment_id])
    assert skipped == []
    assert sorted(r.info.run_id for r in runs) == folders
    found = runreport.Client(str(root)).search_runs([experiment_id], max_results=10_000)
    assert sorted(r.info.run_id for r in found) == folders
    for run in found:
        direct = reader.read_run(root / experiment_id / run.info.run_id)
        assert run.data.metrics == direct.data.metrics
        assert run.data.params == direct.data.params


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_flushed(tmp_path: Path) -> None:
    root, scratch = tmp_path / "runs", tmp_path / "scratch"
    scratch.mkdir()
    rng = random.Random(SEED)
    reported: dict[str, tuple[Reported, int]] = {}
    for trial in range(TRIALS):
        seed, delay = SEED + trial, rng.uniform(0.0, MAX_DELAY)
        try:
            runs = _kill_at_random(root, scratch, seed, delay)
            experiment = runreport.Client(str(root)).get_experiment_by_name("crash trials")
            assert experiment is not None or not runs
            if experiment is None:  # killed before the experiment was created
                continue
            for rep in runs.values():
                _check_run(root, root / experiment.experiment_id / rep.run_id, rep, seed)
                reported[rep.run_id] = (rep, seed)
            _check_root(root, experiment.experiment_id)
        except AssertionError as exc:
            where = f"trial {trial}: seed {seed}, killed {delay:.3f} s after start"
            raise AssertionError(f"{where}: {exc}") from exc
    exp_id = runreport.Client(str(root)).get_experiment_by_name("crash trials").experiment_id
    _check_site_builds(root, exp_id, tmp_path / "site")
    _check_next_writer_continues(root, exp_id, reported)


def _check_site_builds(root: Path, experiment_id: str, site: Path) -> None:
    report = build_site(BuildOptions(runs_dirs=[root], output=site))
    assert report.problems == []
    folders = reader.run_dirs(root / experiment_id)
    assert report.runs == len(folders)
    assert not [p for p in site_files(site) if fmt.TEMP_PREFIX in p]
    for folder in folders:
        run = reader.read_run(folder)
        data = js_data(site / paths.run_data(folder.name))
        assert data["status"] == run.info.status
        for key, summary in run.data.metric_summaries.items():
            assert data["metrics"][key]["step"] == summary.latest.step
            assert len(data["history"][key]["step"]) == summary.count


def _check_next_writer_continues(
    root: Path, experiment_id: str, reported: dict[str, tuple[Reported, int]]
) -> None:
    """A crashed run can be resumed: the next writer appends after what the crash left."""
    client = runreport.Client(str(root))
    for folder in reader.run_dirs(root / experiment_id):
        if reader.read_run(folder).info.status != "RUNNING":
            continue
        r = reported[folder.name][0].r if folder.name in reported else 99
        before = [m for m in reader.read_metric_history(folder) if m.key == "loss"]
        step = len(before)
        client.log_metric(folder.name, "loss", value(0, r, step), step=step, synchronous=True)
        client.set_terminated(folder.name, "KILLED")
        run = reader.read_run(folder)
        assert run.info.status == "KILLED"
        assert run.data.metric_summaries["loss"].count == step + 1
        after = [(m.step, m.value) for m in reader.read_metric_history(folder) if m.key == "loss"]
        assert after == [(s, value(0, r, s)) for s in range(step + 1)]


# ---------------------------------------------------------------- half-written temporary files


def _snapshot(client: runreport.Client, run_id: str) -> tuple[object, ...]:
    run = client.get_run(run_id)
    summaries = {
        k: (s.count, s.latest.value, s.min, s.max) for k, s in run.data.metric_summaries.items()
    }
    return (run.info.status, run.info.run_name, run.data.params, run.data.tags, summaries)


def _plant_half_files(root: Path, experiment_id: str, run_dirs: list[Path]) -> None:
    """What a writer killed between writing a temporary file and renaming it leaves behind."""
    exp_dir = root / experiment_id
    for run_dir in run_dirs:
        record = (run_dir / fmt.RUN_FILE).read_text()
        evil = record.replace('"RUNNING"', '"FINISHED"').replace('"p": "1"', '"p": "evil"')
        (run_dir / f"{fmt.TEMP_PREFIX}{fmt.RUN_FILE}.1f2e3d4c5b6a").write_text(record[:40])
        (run_dir / f"{fmt.TEMP_PREFIX}{fmt.RUN_FILE}.0a0b0c0d0e0f").write_text(evil)
        summary = (run_dir / fmt.SUMMARY_FILE).read_text()
        (run_dir / f"{fmt.TEMP_PREFIX}{fmt.SUMMARY_FILE}.abcdef123456").write_text(summary[:30])
        artifacts = run_dir / fmt.ARTIFACTS_DIR
        (artifacts / f"{fmt.TEMP_PREFIX}model.pkl").write_bytes(b"half of a new mod")
        (artifacts / f"{fmt.TEMP_PREFIX}model.pkl.3c4d5e6f7a8b").write_bytes(b"half")
        (artifacts / "notes" / f"{fmt.TEMP_PREFIX}todo.txt.5a5b5c5d5e5f").write_text("hal")
        staging = artifacts / f"{fmt.TEMP_PREFIX}model.9f8e7d6c5b4a"  # a folder being logged
        (staging / "weights").mkdir(parents=True)
        (staging / "MLmodel").write_text("flavors: {}\n")
        (staging / "weights" / "part-0.bin").write_bytes(b"\0" * 100)
    (exp_dir / f"{fmt.TEMP_PREFIX}{fmt.EXPERIMENT_FILE}.77aa88bb99cc").write_text('{"name": "ev')
    # a run folder built under its temporary name and never renamed into place
    half_run = exp_dir / f"{fmt.TEMP_PREFIX}01a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6.123456abcdef"
    (half_run / fmt.ARTIFACTS_DIR).mkdir(parents=True)
    record = fmt.RunRecord("01a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6", experiment_id, "ghost")
    (half_run / fmt.RUN_FILE).write_text(record.to_json())
    cache = root / run_cache.CACHE_DIR
    cache.mkdir(exist_ok=True)
    (cache / f"{fmt.TEMP_PREFIX}{experiment_id}.json.aabbccddeeff").write_text('{"cache_vers')


def test_half_written_temporary_files_are_never_trusted(runs_root: Path, tmp_path: Path) -> None:
    client = runreport.Client()
    exp_id = client.create_experiment("temp files")
    with runreport.start_run(experiment_id=exp_id, run_name="done") as done:
        runreport.log_param("p", 1)
        runreport.set_tag("t", "x")
        for step in range(3):
            runreport.log_metric("loss", 1.0 / (step + 1), step=step)
        runreport.log_text("the whole model", "model.pkl")
        runreport.log_text("a note", "notes/todo.txt")
    running = client.create_run(exp_id, run_name="running").info.run_id
    client.log_param(running, "p", 1)
    client.log_metric(running, "loss", 0.5, step=0, synchronous=True)
    client.log_text(running, "the whole model", "model.pkl")
    client.log_text(running, "a note", "notes/todo.txt")
    ids = [done.info.run_id, running]
    before = {run_id: _snapshot(client, run_id) for run_id in ids}
    _plant_half_files(runs_root, exp_id, [client.run_dir(run_id) for run_id in ids])
    with open(client.run_dir(running) / fmt.METRICS_FILE, "ab") as handle:
        handle.write(b"loss\t1700000000000\t1\t0.2")  # and a torn history line
    run_cache.clear()

    # readers: the run, search (cold and warm cache), artifacts, downloads, the experiment
    for _ in range(2):
        assert {run_id: _snapshot(client, run_id) for run_id in ids} == before
        found = client.search_runs([exp_id])
        assert sorted(r.info.run_id for r in found) == sorted(ids)
        for run in found:
            assert run.data.params == {"p": "1"}
    assert client.get_experiment(exp_id).name == "temp files"
    for run_id in ids:
        assert sorted(_artifact_files(client, run_id)) == ["model.pkl", "notes/todo.txt"]
        copied = Path(client.download_artifacts(run_id, "", str(tmp_path / "dl" / run_id)))
        assert sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*")) == [
            "model.pkl",
            "notes",
            "notes/todo.txt",
        ]

    # the site
    site = tmp_path / "site"
    report = build_site(BuildOptions(runs_dirs=[runs_root], output=site))
    assert report.problems == [] and report.runs == 2
    assert not [p for p in site_files(site) if fmt.TEMP_PREFIX in p]
    for run_id in ids:
        assert fmt.TEMP_PREFIX not in (site / paths.run_page(run_id)).read_text()
        assert js_data(site / paths.run_data(run_id))["params"] == {"p": "1"}

    # the next writer still works, over the leftovers
    source = tmp_path / "model.pkl"
    source.write_bytes(b"a newer whole model")
    for run_id in ids:
        client.log_param(run_id, "q", 2)
        client.set_tag(run_id, "t", "y")
        client.log_metric(run_id, "loss", 0.1, step=5, synchronous=True)
        client.log_artifact(run_id, source)
        run = client.get_run(run_id)
        assert run.data.params == {"p": "1", "q": "2"} and run.data.tags["t"] == "y"
        assert run.data.metric_summaries["loss"].latest.step == 5
        assert (client.artifacts_dir(run_id) / "model.pkl").read_bytes() == b"a newer whole model"
    history = client.get_metric_history(running, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.5), (5, 0.1)]


def test_a_figure_that_fails_while_saving_leaves_no_half_file(runs_root: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

    class Broken(Artist):
        def draw(self, renderer: object) -> None:
            raise RuntimeError("the figure broke while it was being drawn")

    figure = Figure()
    figure.add_subplot().plot([1, 2, 3])
    figure.add_artist(Broken())
    with runreport.start_run() as run:
        with pytest.raises(RuntimeError, match="broke"):
            runreport.log_figure(figure, "plots/curve.svg")  # SVG streams into the file
        artifacts = runreport.Client().artifacts_dir(run.info.run_id)
        assert not (artifacts / "plots" / "curve.svg").exists()
        assert [p.name for p in artifacts.rglob("*") if p.is_file()] == []
