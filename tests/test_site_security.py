"""Every user string is escaped: script tags, attribute breakouts and javascript: links in
every field a user controls never become markup, scripts or links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import runreport
from runreport.site import paths
from runreport.site.safety import github_commit_url, render_markdown, safe_url, to_json
from tests.test_site_support import build, js_data, page_data, soup

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
PAYLOADS = (SCRIPT, BREAKOUT, JS_LINK)


@pytest.fixture
def hostile_site(runs_root: Path, tmp_path: Path) -> tuple[Path, str, str]:
    experiment_id = runreport.set_experiment(f"exp {SCRIPT}").experiment_id
    runreport.Client().set_experiment_tag(experiment_id, "owner", JS_LINK)
    description = f"{SCRIPT}\n\n[click]({JS_LINK}) {BREAKOUT} ![x]({JS_LINK})"
    tags = {"mlflow.user": BREAKOUT, "mlflow.source.name": SCRIPT, "homepage": JS_LINK}
    with runreport.start_run(run_name=BREAKOUT, description=description, tags=tags) as run:
        runreport.log_param("model", BREAKOUT)
        runreport.log_param("note", SCRIPT)
        runreport.set_tag("link", JS_LINK)
        runreport.set_tag("script", SCRIPT)
        runreport.log_metric("loss", 0.5)
        runreport.log_text("x", f"{BREAKOUT}.txt")
        runreport.log_text(f"{SCRIPT}\n[a]({JS_LINK})", "notes <script>.md")
        runreport.log_text(f"a,b\n{SCRIPT},{BREAKOUT[2:]}\n", "table.csv")
    out = tmp_path / "site"
    build(runs_root, out)
    return out, experiment_id, run.info.run_id


def _html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_user_string_becomes_markup(hostile_site: tuple[Path, str, str]) -> None:
    site, _, _ = hostile_site
    for page in _html_pages(site):
        document = soup(page)
        for node in document.find_all(True):
            handlers = [name for name in node.attrs if name.lower().startswith("on")]
            assert handlers == [], (page, node.name, handlers)
        assert document.select('img[src="x"]') == [], page
        for script in document.select("script"):
            if script.get("src"):
                assert not script["src"].startswith(("http", "//", "javascript")), page
            elif script.get("id") == "page-data":
                assert script.get("type") == "application/json"
                assert "<" not in (script.string or "")
            else:  # the only inline script: the 404 page's home link
                assert page.name == "404.html", page
        for node in document.select("[href], [src]"):
            target = (node.get("href") or node.get("src")).strip().lower()
            assert not target.startswith(("javascript:", "vbscript:")), (page, target)
            assert not target.startswith("data:") or target == "data:,", (page, target)


def test_user_strings_are_shown_as_text(hostile_site: tuple[Path, str, str]) -> None:
    site, experiment_id, run_id = hostile_site
    experiment = soup(site / paths.experiment_page(experiment_id))
    assert experiment.select_one("h1").get_text() == f"exp {SCRIPT}"
    tag_cells = {tr.th.get_text(): tr.td for tr in experiment.select("table.kv tr")}
    assert tag_cells["owner"].get_text() == JS_LINK and tag_cells["owner"].select("a") == []
    run = soup(site / paths.run_page(run_id))
    assert run.select_one("h1").get_text(" ", strip=True).startswith(BREAKOUT)
    fields = {tr.th.get_text(): tr.td.get_text() for tr in run.select("table.kv")[0].select("tr")}
    assert fields["User"] == BREAKOUT and fields["Source"] == SCRIPT
    tags = {tr.th.get_text(): tr.td for tr in run.select("table.kv")[2].select("tr")}
    assert tags["link"].get_text() == JS_LINK and tags["link"].select("a") == []
    description = run.select_one(".description")
    assert SCRIPT in description.get_text()  # shown, not run
    assert [a.get("href") for a in description.select("a")] == []  # javascript: links dropped
    names = [span.get_text() for span in run.select("ul#artifacts .name")]
    assert f"{BREAKOUT}.txt" in names and "notes <script>.md" in names
    cells = [td.get_text() for td in run.select("table.preview-table td")]
    assert cells == [SCRIPT, BREAKOUT[2:]]


def test_data_files_cannot_close_a_script(hostile_site: tuple[Path, str, str]) -> None:
    site, experiment_id, run_id = hostile_site
    for path in (
        site / paths.experiment_file(experiment_id, "runs.js"),
        site / paths.run_data(run_id),
    ):
        text = path.read_text(encoding="utf-8")
        assert "<" not in text and ">" not in text and "&" not in text
    data = js_data(site / paths.run_data(run_id))
    assert data["name"] == BREAKOUT and data["params"]["note"] == SCRIPT
    document = soup(site / paths.run_page(run_id))
    assert page_data(document)["run"] == run_id


def test_safe_url_allows_only_http_links() -> None:
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("http://x.org") == "http://x.org"
    for bad in (
        JS_LINK,
        " JavaScript:alert(1)",
        "data:text/html,<b>",
        "vbscript:x",
        "//evil.com",
        "https://",
        "/etc/passwd",
        "https://a b.com",
        "java\nscript:alert(1)",
        None,
        "",
    ):
        assert safe_url(bad) is None, bad


def test_json_for_scripts_escapes_markup_characters() -> None:
    text = to_json({"a": "</script><!-- & \u2028 \u2029", "b": [1.5, None]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029", "b": [1.5, None]}


def test_github_commit_links_only_for_github_remotes() -> None:
    sha = "a" * 40
    assert (
        github_commit_url("git@github.com:acme/x.git", sha)
        == f"https://github.com/acme/x/commit/{sha}"
    )
    assert (
        github_commit_url("https://github.com/acme/x", sha)
        == f"https://github.com/acme/x/commit/{sha}"
    )
    assert github_commit_url("https://gitlab.com/acme/x.git", sha) is None
    assert github_commit_url("https://github.com/acme/x.git", "not-a-sha") is None
    assert github_commit_url('https://github.com/a"b/x.git', sha) is None


def test_markdown_has_no_raw_html_and_restricted_links() -> None:
    html = str(
        render_markdown(
            f"{SCRIPT} [a]({JS_LINK}) [b](data:text/html,x) [c](https://ok.org) ![i](https://e.org/i.png)"
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://ok.org"' in html
    assert 'href="javascript' not in html and 'href="data:' not in html
    assert "<img" not in html  # remote images become links: no request outside the site
    assert render_markdown("   ") is None
