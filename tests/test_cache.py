"""The search cache: it speeds searches up and never changes an answer."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import runreport
from runreport.store import cache
from runreport.store.reader import scan_runs


@pytest.fixture
def aged_runs(runs_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cache, "STABLE_AFTER_NS", 0)  # runs count as settled at once
    cache.clear()
    runreport.set_experiment("e")
    for i in range(3):
        with runreport.start_run(run_name=f"r{i}"):
            runreport.log_param("i", i)
            runreport.log_metric("m", float(i))
    yield runs_root
    cache.clear()


def _cache_file(root: Path) -> Path:
    return next((root / cache.CACHE_DIR).glob("*.json"))


def test_scans_fill_the_cache_file_which_is_git_ignored(aged_runs: Path) -> None:
    runs, _ = scan_runs(aged_runs)
    cache.save_all()
    data = json.loads(_cache_file(aged_runs).read_text())
    assert len(data["runs"]) == 3 == len(runs)
    assert (aged_runs / cache.CACHE_DIR / ".gitignore").read_text().strip().endswith("*")
    assert not runreport.Client(str(aged_runs)).search_experiments(
        filter_string="name = '.runreport-cache'"
    )


def test_a_changed_run_is_read_again(aged_runs: Path) -> None:
    scan_runs(aged_runs)
    client = runreport.Client()
    target = client.search_runs(
        [client.get_experiment_by_name("e").experiment_id], "params.i = '1'"
    )[0]
    time.sleep(0.01)
    client.set_tag(target.info.run_id, "changed", "yes")
    runs, _ = scan_runs(aged_runs)
    assert (
        next(r for r in runs if r.info.run_id == target.info.run_id).data.tags["changed"] == "yes"
    )


def test_a_fresh_process_uses_the_file_and_a_tampered_file_is_ignored(aged_runs: Path) -> None:
    scan_runs(aged_runs)
    cache.save_all()
    cache.clear()
    path = _cache_file(aged_runs)
    data = json.loads(path.read_text())
    name = next(iter(data["runs"]))
    data["runs"][name][1][2] = "forged-name"  # run_name, but the stat key no longer matches:
    data["runs"][name][0][0] += 1
    path.write_text(json.dumps(data))
    runs, _ = scan_runs(aged_runs)
    assert "forged-name" not in {r.info.run_name for r in runs}
    path.write_text("{ not json")
    cache.clear()
    runs, skipped = scan_runs(aged_runs)
    assert len(runs) == 3 and not skipped


def test_deleted_run_folders_leave_the_cache(aged_runs: Path) -> None:
    import shutil

    runs, _ = scan_runs(aged_runs)
    shutil.rmtree(runreport.Client().run_dir(runs[0].info.run_id))
    again, _ = scan_runs(aged_runs)
    assert len(again) == 2
