"""runreport ui: the site is served over HTTP and rebuilt when runs change."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

from click.testing import CliRunner

import runreport
from runreport.cli import main
from runreport.site import paths
from runreport.site.build import BuildOptions
from runreport.site.serve import make_server, rebuild, snapshot, watch


def test_server_serves_the_built_site(runs_root: Path, tmp_path: Path) -> None:
    with runreport.start_run(run_name="served"):
        runreport.log_metric("loss", 1.0)
    options = BuildOptions(runs_dirs=[runs_root], output=tmp_path / "site")
    messages: list[str] = []
    rebuild(options, messages.append)
    assert messages[-1].startswith(f"Built {options.output}: 1 experiments, 1 runs")
    server = make_server(options, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"served" not in response.read()[:0]
    finally:
        server.shutdown()
        server.server_close()


def test_watch_rebuilds_when_a_run_changes(runs_root: Path, tmp_path: Path) -> None:
    with runreport.start_run(run_name="first"):
        runreport.log_metric("loss", 1.0)
    stages = tmp_path / "stages.yaml"
    stages.write_text("models: {}\n", encoding="utf-8")
    options = BuildOptions(runs_dirs=[runs_root], output=tmp_path / "site", registry=stages)
    rebuild(options, lambda text: None)
    before = snapshot(options)
    messages: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(options, 0.05, stop, messages.append, before))
    watcher.start()
    try:
        with runreport.start_run(run_name="second") as run:
            runreport.log_metric("loss", 0.5)
        for _ in range(600):
            if (options.output / paths.run_page(run.info.run_id)).is_file() and messages:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        watcher.join()
    assert snapshot(options) != before
    assert (options.output / paths.run_page(run.info.run_id)).is_file(), messages
    assert any("2 runs" in m for m in messages)


def test_ui_command_is_registered() -> None:
    result = CliRunner().invoke(main, ["ui", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--host" in result.output
