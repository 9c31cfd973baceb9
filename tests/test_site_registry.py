"""Registry, model and changelog pages and the Atom feed, from a stages.yaml in a git repo."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LinearRegression

import runreport
import runreport.sklearn
from runreport.cli import main
from runreport.site import paths
from tests.conftest import git
from tests.test_site_support import build, soup

X = np.arange(6.0).reshape(-1, 1)


def _model_run(r2: float) -> str:
    with runreport.start_run(run_name=f"model-{r2}") as run:
        runreport.log_metric("r2_score", r2)
        runreport.sklearn.log_model(LinearRegression().fit(X, X[:, 0]), name="model")
    return run.info.run_id


@pytest.fixture
def project(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNREPORT_REGISTRY", raising=False)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "remote", "add", "origin", "https://github.com/acme/churn.git")
    first, second = _model_run(0.8), _model_run(0.9)
    runreport.register_model(f"runs:/{first}/model", "Churn <model>")
    client = runreport.Client()
    client.transition_model_version_stage("Churn <model>", 1, "Production")
    git(tmp_path, "add", "stages.yaml")
    git(tmp_path, "commit", "-q", "-m", "Register churn v1")
    runreport.register_model(f"runs:/{second}/model", "Churn <model>")
    client.transition_model_version_stage("Churn <model>", 2, "Production")
    client.transition_model_version_stage("Churn <model>", 1, "Archived")
    client.set_registered_model_alias("Churn <model>", "champion", 2)
    git(tmp_path, "commit", "-q", "-am", "Promote v2 (#7)")
    return {"first": first, "second": second}


def test_registry_model_and_changelog_pages(
    project: dict[str, str], runs_root: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    report = build(runs_root, site, registry=tmp_path / "stages.yaml")
    assert report.problems == []
    home = soup(site / "index.html")
    assert [a["href"] for a in home.select("nav.site-nav a")][-2:] == [
        "registry.html",
        "changelog.html",
    ]
    rows = soup(site / paths.REGISTRY).select("table#models tbody tr")
    assert [r.select_one("a").get_text() for r in rows] == ["Churn <model>"]
    assert "Production v2" in rows[0].get_text(" ", strip=True)
    model = soup(site / paths.model_page("Churn <model>"))
    versions = {tr["data-version"]: tr for tr in model.select("table#versions tbody tr")}
    assert versions["2"].select_one(".badge").get_text() == "Production"
    assert versions["1"].select_one(".badge").get_text() == "Archived"
    assert "@champion" in versions["2"].get_text()
    assert versions["2"].select_one("a")["href"] == f"../runs/{project['second']}.html"
    assert "r2_score 0.9" in versions["2"].get_text(" ", strip=True)
    events = soup(site / paths.CHANGELOG).select("table#events tbody tr")
    texts = [tr.select("td")[1].get_text() for tr in events]
    assert "Churn <model> v2: None -> Production" in texts
    promotion = next(tr for tr in events if "v2: None -> Production" in tr.get_text())
    assert "r2_score 0.8 -> 0.9 (+0.1)" in promotion.get_text()
    assert (
        promotion.select_one('a[href*="/pull/7"]')["href"] == "https://github.com/acme/churn/pull/7"
    )
    assert promotion.select_one('a[href*="/commit/"]')["href"].startswith(
        "https://github.com/acme/churn/commit/"
    )
    card = soup(site / paths.run_page(project["second"])).select_one("article.model-card")
    registered = card.select_one("ul.registered li")
    assert registered.get_text(" ", strip=True) == "Churn <model> version 2 Production"
    assert 'load_model("models:/Churn <model>/2")' in card.select_one("pre.snippet").get_text()


def test_atom_feed_lists_committed_events(
    project: dict[str, str], runs_root: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(runs_root, site, registry=tmp_path / "stages.yaml")
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / paths.CHANGELOG_FEED).getroot()
    assert feed.tag == f"{atom}feed"
    titles = [e.findtext(f"{atom}title") for e in feed.findall(f"{atom}entry")]
    assert "Churn <model> v2: None -> Production" in titles
    assert all(e.findtext(f"{atom}updated") for e in feed.findall(f"{atom}entry"))


def test_stage_change_remakes_the_run_page(
    project: dict[str, str], runs_root: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(runs_root, site, registry=tmp_path / "stages.yaml")
    runreport.Client().transition_model_version_stage("Churn <model>", 2, "Staging")
    report = build(runs_root, site, registry=tmp_path / "stages.yaml")
    assert report.runs_made == 1  # the run whose version changed stage
    card = soup(site / paths.run_page(project["second"])).select_one("article.model-card")
    assert "Staging" in card.select_one("ul.registered").get_text()


def test_invalid_registry_is_a_problem_and_missing_one_an_error(
    runs_root: Path, tmp_path: Path
) -> None:
    with runreport.start_run():
        runreport.log_metric("loss", 1)
    bad = tmp_path / "stages.yaml"
    bad.write_text("models: [nope]\n", encoding="utf-8")
    report = build(runs_root, tmp_path / "site", registry=bad)
    assert [p.shown for p in report.problems] == ["stages.yaml"]
    assert not (tmp_path / "site" / paths.REGISTRY).exists()
    result = CliRunner().invoke(
        main, ["build", str(runs_root), "-o", str(tmp_path / "s"), "--registry", "missing.yaml"]
    )
    assert result.exit_code == 1 and "does not exist" in result.output
