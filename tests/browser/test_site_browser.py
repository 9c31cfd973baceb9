"""The site in a real browser: every page type loads cleanly under /repo/ and from file://,
charts draw, and the runs table's sorting, filter, column chooser and compare selection work."""

from __future__ import annotations

from runreport import search
from runreport.site import paths
from runreport.tracking.client import Client
from tests.browser.conftest import Served, Tab

CHARTS = ".chart[data-chart]"


def _charts_drawn(tab: Tab) -> None:
    charts = tab.page.locator(CHARTS)
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        chart.locator("svg, canvas").first.wait_for(state="attached", timeout=10_000)


def _pages(served: Served) -> list[str]:
    s = served.sample
    return [
        "index.html",
        paths.experiment_page(s.experiment_id),
        paths.run_page(s.parent),
        paths.run_page(s.model_run),
        f"{paths.COMPARE}?runs={s.parent},{s.children[0]}",
        paths.COMPARE,
        paths.REGISTRY,
        paths.model_page("Churn"),
        paths.CHANGELOG,
    ]


def test_every_page_loads_under_a_subpath_without_errors_or_outside_requests(
    served: Served, tab: Tab
) -> None:
    for page in _pages(served):
        tab.open(served.base + page)
        if page.startswith(("experiments/", "runs/", "compare.html?")):
            _charts_drawn(tab)
    tab.page.goto(served.base + "runs/no-such-run.html")  # http.server has no 404 page: load ours
    tab.page.goto(served.base + paths.NOT_FOUND)
    assert tab.page.locator("h1").inner_text() == "Page not found"
    assert tab.page.locator("#home-link").get_attribute("href") == "/repo/index.html"
    missing = [e for e in tab.errors if "404" not in e]  # the deliberate miss above
    assert missing == []
    assert tab.outside(served.base) == []


def test_site_works_from_file_urls(served: Served, tab: Tab) -> None:
    root = served.site.as_uri() + "/"
    for page in _pages(served):
        tab.open(root + page)
        if page.startswith(("experiments/", "runs/", "compare.html?")):
            _charts_drawn(tab)
    tab.open(root + paths.experiment_page(served.sample.experiment_id))
    assert tab.page.locator("#runs-table tbody tr").count() == 5
    assert tab.errors == []
    assert tab.outside("file://") == []


def test_runs_table_sorts_by_any_column(served: Served, tab: Tab) -> None:
    tab.open(served.base + paths.experiment_page(served.sample.experiment_id))
    header = tab.page.locator('th[data-column="metrics.loss"]')
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    names = tab.page.locator("#runs-table tbody td.name").all_inner_texts()
    assert names == ["linear", "sweep", "alpha-1.0", "alpha-0.1", "crashes"]  # NaN last
    top = _top_level_losses(tab)
    assert top == sorted(top, reverse=True)
    header.locator("button").press("Enter")  # keyboard reachable
    assert header.get_attribute("aria-sort") == "ascending"
    top = _top_level_losses(tab)
    assert top == sorted(top)


def _top_level_losses(tab: Tab) -> list[float]:
    rows = tab.page.locator("#runs-table tbody tr:not(.child)")
    column = tab.page.locator("#runs-table thead th").all_inner_texts().index("loss")
    values = []
    for index in range(rows.count()):
        text = rows.nth(index).locator("td").nth(column).inner_text()
        if text not in ("NaN", "-", ""):
            values.append(float(text))
    return values


def test_filter_box_matches_python_search(served: Served, tab: Tab) -> None:
    s = served.sample
    tab.open(served.base + paths.experiment_page(s.experiment_id))
    box = tab.page.locator("#filter")
    box.fill("metrics.loss < 0.3 and params.alpha = '0.1'")
    box.press("Enter")
    assert tab.page.locator("#runs-table tbody tr").count() == 1
    assert tab.page.locator("#filter-status").inner_text() == "1 of 5 runs match"
    box.fill("metrics.loss <")
    tab.page.locator("#filter-form button[type=submit]").click()
    assert "position 14" in tab.page.locator("#filter-status").inner_text()
    assert box.get_attribute("aria-invalid") == "true"
    runs = Client(str(s.root)).search_runs([s.experiment_id], max_results=100)
    filters = [
        "metrics.loss < 0.3",
        "metrics.loss >= 0.025 AND status = 'FINISHED'",
        "params.alpha = '0.1' OR params.alpha = '1.0'",
        "params.model_type LIKE 'Rid%'",
        "params.model_type ILIKE 'ridge'",
        "params.model_type IS NULL",
        "tags.mlflow.source.git.commit IS NOT NULL",
        "attributes.run_name != 'sweep' and metrics.loss != 0.5",
        f"run_id IN ('{s.parent}', '{s.failed}')",
        "tags.`mlflow.runName` = 'linear'",
        "metrics.loss = 0.025 and start_time > 0",
    ]
    for text in filters:
        expected = sorted(r.info.run_id for r in search.filter_runs(runs, text))
        found = sorted(tab.page.evaluate("text => window.runreport.matchingRuns(text)", text))
        assert found == expected, text
    assert tab.errors == []


def test_column_chooser_hides_and_shows_columns(served: Served, tab: Tab) -> None:
    tab.open(served.base + paths.experiment_page(served.sample.experiment_id))
    headers = tab.page.locator("#runs-table thead th[data-column]")
    assert "metrics.accuracy" in headers.evaluate_all("els => els.map(e => e.dataset.column)")
    tab.page.locator("#column-chooser summary").click()
    tab.page.locator('#column-list input[value="metrics.accuracy"]').uncheck()
    tab.page.locator('#column-list input[value="tags.mlflow.source.git.commit"]').check()
    shown = headers.evaluate_all("els => els.map(e => e.dataset.column)")
    assert "metrics.accuracy" not in shown and "tags.mlflow.source.git.commit" in shown
    tab.page.locator("#column-search").fill("alpha")
    assert tab.page.locator("#column-list label:visible").count() == 1


def test_compare_selection_and_differences_only_switch(served: Served, tab: Tab) -> None:
    s = served.sample
    tab.open(served.base + paths.experiment_page(s.experiment_id))
    button = tab.page.locator("#compare-button")
    assert button.is_disabled()
    for run_id in (s.parent, s.children[0]):
        tab.page.locator(f'#runs-table tr[data-run="{run_id}"] input.select-run').check()
    assert button.inner_text() == "Compare selected (2)"
    button.click()
    tab.page.wait_for_selector("body[data-ready]")
    assert tab.page.url.endswith(f"compare.html?runs={s.parent},{s.children[0]}")
    rows = tab.page.locator("#params-table tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.key)") == ["alpha", "model_type"]
    assert tab.page.locator("#params-table tr.differs").count() == 2
    best = tab.page.locator('#metrics-table tr[data-key="loss"] td.best')
    assert best.inner_text().startswith("0.025")
    assert "%" in tab.page.locator('#metrics-table tr[data-key="loss"] .delta').inner_text()
    _charts_drawn(tab)
    tab.page.goto(served.base + f"compare.html?runs={s.children[0]},{s.children[1]}")
    tab.page.wait_for_selector("body[data-ready]")
    switch = tab.page.locator("#diff-only")
    visible = tab.page.locator("#params-table tbody tr:visible")
    assert visible.count() == 1  # alpha differs; model_type is missing in both
    switch.uncheck()
    switch.check()
    assert visible.evaluate_all("rs => rs.map(r => r.dataset.key)") == ["alpha"]
    switch.uncheck()
    assert tab.page.locator("#params-table tbody tr:visible").count() == 1
    assert tab.errors == []


def test_focus_is_visible_and_controls_are_keyboard_reachable(served: Served, tab: Tab) -> None:
    tab.open(served.base + paths.experiment_page(served.sample.experiment_id))
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.className") == "skip"
    tab.page.locator("#filter").focus()
    outline = tab.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_screenshot_target_renders_on_a_phone(served: Served, tab: Tab) -> None:
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.open(served.base + paths.run_page(served.sample.parent))
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # no horizontal scrolling of the page itself


def test_dark_theme_follows_the_system_setting(served: Served, browser: object) -> None:
    colors = []
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(served.base + "index.html")
        colors.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        context.close()
    assert colors == ["rgb(255, 255, 255)", "rgb(17, 20, 24)"]
