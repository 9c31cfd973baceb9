"""Active-content artifacts are published as text unless the configuration opts in.

An artifact a browser would run as a document (``report.html``, ``plot.svg``, ``app.js``...)
opened directly from the site would run its scripts on the site's origin. By default it is
published as ``<name>.txt`` (same bytes, served as text), listed under its own name with a
note, and still previewed safely: HTML in a sandboxed ``srcdoc`` frame, small SVGs as a
``data:`` image. ``site: {publish_active_artifacts: true}`` publishes the files as they are.
Chromium, over a real http server on 127.0.0.1, checks that the text copies run nothing, that
the previews still show, and (the control) that a file published as is does run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import runreport
from runreport.cli import main
from runreport.config import load_config
from runreport.exceptions import ConfigError
from runreport.site import active, paths
from runreport.site.artifacts import PREVIEW_BYTES
from tests.browser.conftest import launched_chromium, serving
from tests.test_site_support import build, soup

TITLE = "Quarterly report"
HTML = (
    f"<!doctype html><html><head><title>{TITLE}</title></head><body>"
    "<h1>Quarterly report</h1>"
    "<script>document.title = 'pwned'; window.__xss = 'html'; alert('html ran')</script>"
    "</body></html>\n"
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    "<script>window.__xss = 'svg'; alert('svg ran')</script>"
    '<rect width="40" height="20" fill="#0b5cad"/></svg>\n'
)
# One file per active suffix (some in upper or mixed case), and files that are not active.
ACTIVE = {
    "report.html": HTML,
    "plots/plot.svg": SVG,
    "LOUD.HTML": HTML,
    "plots/Mixed.Svg": SVG,
    "page.htm": HTML,
    "page.xhtml": HTML,
    "page.xht": HTML,
    "page.shtml": HTML,
    "plots/packed.svgz": SVG,
    "data/feed.xml": "<x/>",
    "data/style.xsl": "<x/>",
    "data/style.xslt": "<x/>",
    "archive.mht": HTML,
    "archive.mhtml": HTML,
    "code/app.js": "alert(1)\n",
    "code/module.mjs": "export default 1\n",
}
PLAIN = {"notes.txt": "plain\n", "report.md": "# Report\n", "config.json": "{}"}


def _log_run() -> str:
    with runreport.start_run(run_name="reports") as run:
        for path, text in {**ACTIVE, **PLAIN}.items():
            runreport.log_text(text, path)
    return run.info.run_id


def _artifacts_dir(run_id: str) -> Path:
    return Path(runreport.get_run(run_id).info.artifact_uri.removeprefix("file://"))


def _published(site: Path, run_id: str) -> dict[str, bytes]:
    """The run's published artifacts: path under its artifacts folder -> bytes."""
    folder = site / paths.run_artifact(run_id, "")
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _manifest_files(site: Path, run_id: str) -> list[str]:
    manifest = json.loads((site / paths.MANIFEST).read_text(encoding="utf-8"))
    return list(manifest["runs"][run_id]["files"])


def _tree_items(site: Path, run_id: str) -> dict[str, Any]:
    page = soup(site / paths.run_page(run_id))
    return {li.select_one(".name").get_text(): li for li in page.select("ul#artifacts li.file")}


# ---------------------------------------------------------------- the files


def test_active_artifacts_are_published_as_text_with_the_same_bytes(
    runs_root: Path, tmp_path: Path
) -> None:
    run_id = _log_run()
    site = tmp_path / "site"
    assert build(runs_root, site).problems == []
    published = _published(site, run_id)
    everything = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    in_artifacts = [p for p in everything if "/artifacts/" in p]
    assert [p for p in in_artifacts if active.is_active(p)] == []
    source = _artifacts_dir(run_id)
    for path in ACTIVE:
        assert path not in published, path
        assert published[path + ".txt"] == (source / path).read_bytes(), path
    for path in PLAIN:
        assert published[path] == (source / path).read_bytes(), path
    expected = {paths.run_artifact(run_id, p + ".txt") for p in ACTIVE}
    assert expected <= set(_manifest_files(site, run_id))


def test_the_run_page_lists_the_original_name_links_the_text_copy_and_says_why(
    runs_root: Path, tmp_path: Path
) -> None:
    run_id = _log_run()
    site = tmp_path / "site"
    build(runs_root, site)
    items = _tree_items(site, run_id)
    for path in ACTIVE:
        item = items[path.rsplit("/", 1)[-1]]
        link = item.select_one("a[href]")
        assert link["href"] == f"{run_id}/artifacts/{path}.txt", path
        assert item.select_one(".note").get_text() == active.NOTE
    assert "site.publish_active_artifacts" in active.NOTE
    assert items["notes.txt"].select_one(".note") is None
    report = items["report.html"]
    frame = report.select_one(".preview-html iframe")
    assert frame.get("sandbox") in ("", []) and frame["srcdoc"].endswith("\n" + HTML)
    image = items["plot.svg"].select_one(".preview-image img")
    assert image["src"].startswith("data:image/svg+xml;base64,")


def test_an_svg_over_the_preview_limit_has_no_inline_preview(
    runs_root: Path, tmp_path: Path
) -> None:
    big = SVG.replace("</svg>", "<!--" + "x" * PREVIEW_BYTES + "--></svg>")
    with runreport.start_run() as run:
        runreport.log_text(big, "big.svg")
        runreport.log_text(SVG, "small.svg")
    site = tmp_path / "site"
    build(runs_root, site)
    items = _tree_items(site, run.info.run_id)
    assert items["big.svg"].select("img") == []
    assert "no preview" in items["big.svg"].select_one(".preview-note").get_text()
    assert items["small.svg"].select_one("img")["src"].startswith("data:image/svg+xml;base64,")
    assert _published(site, run.info.run_id)["big.svg.txt"] == big.encode()


def test_an_active_file_whose_text_name_is_taken_is_not_published(
    runs_root: Path, tmp_path: Path
) -> None:
    with runreport.start_run() as run:
        runreport.log_text("<x>active</x>", "feed.xml")
        runreport.log_text("a text file of its own", "feed.xml.txt")
    site = tmp_path / "site"
    build(runs_root, site)
    published = _published(site, run.info.run_id)
    assert published == {"feed.xml.txt": b"a text file of its own"}
    item = _tree_items(site, run.info.run_id)["feed.xml"]
    assert item.select("a") == [] and item.select_one(".note").get_text() == active.COLLISION


def test_opting_in_publishes_as_is_and_rebuilds_follow_the_setting(
    runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _log_run()
    monkeypatch.chdir(tmp_path)
    site = tmp_path / "site"
    assert CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"]).exit_code == 0
    text_copies = set(_published(site, run_id))
    Path("runreport.yaml").write_text("site:\n  publish_active_artifacts: true\n")
    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"])
    assert result.exit_code == 0, result.output
    published, source = _published(site, run_id), _artifacts_dir(run_id)
    assert set(published) == set(ACTIVE) | set(PLAIN)  # the text copies are gone
    assert all(published[p] == (source / p).read_bytes() for p in ACTIVE)
    items = _tree_items(site, run_id)
    assert items["report.html"].select_one("a")["href"] == f"{run_id}/artifacts/report.html"
    assert items["report.html"].select_one("p.file-links .note") is None
    manifest = set(_manifest_files(site, run_id))
    assert paths.run_artifact(run_id, "report.html") in manifest
    assert paths.run_artifact(run_id, "report.html.txt") not in manifest
    # back to the default: the files published as is are removed again
    Path("runreport.yaml").write_text("site:\n  publish_active_artifacts: false\n")
    assert CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"]).exit_code == 0
    assert set(_published(site, run_id)) == text_copies
    report = build(runs_root, site)  # unchanged: the run is reused, its text copies kept
    assert report.runs_reused == 1 and set(_published(site, run_id)) == text_copies


@pytest.mark.parametrize("value", ["yes", "1", "'true'", "[true]", "{a: 1}"])
def test_a_bad_publish_active_artifacts_value_is_a_clear_error(
    tmp_path: Path, value: str, runs_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "runreport.yaml").write_text(f"site:\n  publish_active_artifacts: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert message.startswith("runreport.yaml:2: publish_active_artifacts must be true"), message
    assert "or false" in message
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", "site"])
    assert result.exit_code != 0 and "publish_active_artifacts must be true" in result.output
    assert not (tmp_path / "site").exists()


def test_a_bad_value_in_pyproject_names_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.runreport.site]\npublish_active_artifacts = 'no'\n"
    )
    with pytest.raises(ConfigError, match=r"\[tool.runreport.site\]: publish_active_artifacts"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.runreport.site]\npublish_active_artifacts = true\n"
    )
    assert load_config(tmp_path).site.publish_active_artifacts is True


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def chromium(playwright_driver: Any) -> Iterator[Any]:
    with launched_chromium(playwright_driver) as browser:
        yield browser


@contextlib.contextmanager
def _tab(chromium: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page, and the dialogs it opened (each dismissed)."""
    context = chromium.new_context()
    page = context.new_page()
    dialogs: list[str] = []

    def dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    try:
        yield page, dialogs
    finally:
        context.close()


def _open(page: Any, url: str) -> Any:
    response = page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # time for a script (or a late dialog) to run, if any could
    return response


def test_opened_directly_the_text_copies_run_nothing(
    runs_root: Path, tmp_path: Path, chromium: Any
) -> None:
    run_id = _log_run()
    site = tmp_path / "site"
    build(runs_root, site)
    with serving(site) as base, _tab(chromium) as (page, dialogs):
        for path, text in (("report.html", HTML), ("plots/plot.svg", SVG)):
            url = base + paths.run_artifact(run_id, path + ".txt")
            response = _open(page, url)
            assert response.status == 200
            assert response.headers["content-type"].startswith("text/plain"), path
            assert page.evaluate("document.contentType") == "text/plain"
            assert page.evaluate("window.__xss") is None
            assert page.title() != "pwned"
            assert page.evaluate("document.body.innerText").strip() == text.strip()
            assert page.locator("svg, h1, script").count() == 0, path
        assert dialogs == []


def test_previews_still_show_on_the_run_page(
    runs_root: Path, tmp_path: Path, chromium: Any
) -> None:
    run_id = _log_run()
    site = tmp_path / "site"
    build(runs_root, site)
    with serving(site) as base, _tab(chromium) as (page, dialogs):
        _open(page, base + paths.run_page(run_id))
        page.wait_for_selector("body[data-ready]")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        image = page.locator("li.file:has(.name:text-is('plot.svg')) .preview-image img")
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [40, 20]
        frame_element = page.locator("li.file:has(.name:text-is('report.html')) iframe")
        assert frame_element.get_attribute("sandbox") == ""
        frame_element.scroll_into_view_if_needed()
        frame = frame_element.element_handle().content_frame()
        frame.wait_for_load_state("load")
        assert frame.locator("h1").inner_text() == TITLE
        assert frame.title() == TITLE  # its script (which sets the title) never ran
        assert page.evaluate("window.__xss") is None
        assert page.title() != "pwned"
        assert dialogs == []


def test_published_as_is_the_file_does_run_when_opened(
    runs_root: Path, tmp_path: Path, chromium: Any
) -> None:
    """The control: the same file published as is runs its script when opened directly,
    which is what the default prevents (and shows this test's checks can see it)."""
    run_id = _log_run()
    site = tmp_path / "site"
    build(runs_root, site, publish_active_artifacts=True)
    with serving(site) as base, _tab(chromium) as (page, dialogs):
        _open(page, base + paths.run_artifact(run_id, "report.html"))
        assert page.title() == "pwned" and page.evaluate("window.__xss") == "html"
        _open(page, base + paths.run_artifact(run_id, "plots/plot.svg"))
        assert page.evaluate("window.__xss") == "svg"
        assert dialogs == ["html ran", "svg ran"]
