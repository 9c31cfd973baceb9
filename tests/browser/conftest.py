"""Browser fixtures: a site built from the sample runs, served by a real http.server at the
sub-path /repo/ on 127.0.0.1, and Debian's chromium driven by Playwright.

No browser (or no Playwright): the tests skip with the reason, except under CI=true where they
fail, so CI cannot pass without having run them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CHROMIUM
from tests.test_site_support import Sample, build, log_sample_runs

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` served by a real http.server on 127.0.0.1; yields its base URL (``.../``)."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def launched_chromium(driver: Any, extra_args: tuple[str, ...] = ()) -> Iterator[Any]:
    """Debian's chromium, launched with the session's Playwright ``driver``."""
    chromium = driver.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])
    try:
        yield chromium
    finally:
        chromium.close()


@dataclass
class Served:
    sample: Sample
    site: Path  # the built site (served as /repo/)
    base: str  # http://127.0.0.1:PORT/repo/


def _register(base: Path, sample: Sample) -> Path:
    """Register the sample's model in a stages.yaml committed to a git repository."""
    import runreport
    from tests.conftest import git

    stages = base / "stages.yaml"
    runreport.set_tracking_uri(str(sample.root))
    os.environ["RUNREPORT_REGISTRY"] = str(stages)
    try:
        runreport.register_model(f"runs:/{sample.model_run}/model", "Churn")
        runreport.Client().transition_model_version_stage("Churn", 1, "Production")
    finally:
        del os.environ["RUNREPORT_REGISTRY"]
    git(base, "init", "-q", "-b", "main")
    git(base, "add", "stages.yaml")
    git(base, "commit", "-q", "-m", "Register Churn (#3)")
    return stages


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from tests.conftest import _reset_fluent_state

    base = tmp_path_factory.mktemp("browser")
    _reset_fluent_state()
    try:
        sample = log_sample_runs(base / "runs")
        stages = _register(base, sample)
    finally:
        _reset_fluent_state()
    site = base / "www" / "repo"
    report = build(sample.root, site, registry=stages)
    assert not report.problems
    try:
        with serving(base / "www") as root_url:
            yield Served(sample, site, root_url + "repo/")
    finally:
        shutil.rmtree(base / "www", ignore_errors=True)


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    with launched_chromium(playwright_driver) as chromium:
        yield chromium


@dataclass
class Tab:
    """A page that records every request and every console error."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, url: str) -> Tab:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready]", timeout=15_000)
        return self

    def outside(self, allowed: str) -> list[str]:
        return [u for u in self.requests if not (u.startswith(allowed) or u.startswith("data:"))]


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    recorded = Tab(page)
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on("console", lambda m: recorded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: recorded.errors.append(str(error)))
    try:
        yield recorded
    finally:
        context.close()
