"""runreport build: pages and their structure, downloads, artifacts, bad runs, determinism,
incremental rebuilds, --self-contained and the CLI."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runreport.cli import main
from runreport.site import paths
from tests.test_site_support import (
    COMMIT,
    Sample,
    build,
    js_data,
    log_sample_runs,
    page_data,
    site_files,
    soup,
    write_bad_runs,
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    from tests.conftest import _reset_fluent_state

    base = tmp_path_factory.mktemp("site-sample")
    _reset_fluent_state()
    try:
        return log_sample_runs(base / "runs")
    finally:
        _reset_fluent_state()


@pytest.fixture(scope="module")
def site(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    report = build(sample.root, out)
    assert report.problems == [] and report.runs == 6 and report.experiments == 2
    return out


def test_every_page_type_is_written(site: Path, sample: Sample) -> None:
    for name in ("index.html", "404.html", "compare.html", ".nojekyll", "assets/vega.js"):
        assert (site / name).is_file(), name
    assert (site / paths.experiment_page(sample.experiment_id)).is_file()
    for run_id in (sample.parent, sample.failed, sample.model_run, *sample.children):
        assert (site / paths.run_page(run_id)).is_file()
        assert (site / paths.run_data(run_id)).is_file()
    for name in ("runs.js", "runs.csv", "runs.json"):
        assert (site / paths.experiment_file(sample.experiment_id, name)).is_file()


def test_home_lists_experiments_with_counts_and_best_run(site: Path, sample: Sample) -> None:
    rows = soup(site / "index.html").select("table#experiments tbody tr")
    assert [r.select_one("td a").get_text() for r in rows] == ["Purchase Prediction", "Tiny"]
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert cells[1] == "5"
    assert "FAILED 1" in cells[3] and "FINISHED 4" in cells[3]
    assert cells[4] == "loss" and cells[5] == "0.025"  # lower is better for a loss
    assert rows[0].select("td a")[-1].get_text() == "sweep"
    assert rows[0].select_one("td a")["href"] == paths.experiment_page(sample.experiment_id)


def test_experiment_page_loads_rows_from_a_data_file(site: Path, sample: Sample) -> None:
    page = site / paths.experiment_page(sample.experiment_id)
    document = soup(page)
    assert document.select("#runs-table tbody tr") == []  # rows come from runs.js, not HTML
    scripts = [s["src"] for s in document.select("script[src]")]
    assert scripts[0] == f"{sample.experiment_id}/runs.js"
    assert scripts[1:] == [
        "../assets/vega.js",
        "../assets/site.js",
        "../assets/filter.js",
        "../assets/experiment.js",
    ]
    assert document.select_one("input#filter") is not None
    assert document.select_one("button#compare-button") is not None
    metrics = [el["data-metric"] for el in document.select('.chart[data-chart="across"]')]
    assert metrics == ["accuracy", "loss"]
    data = page_data(document)
    assert set(data["charts"]) == {"across", "parallel", "scatter"}
    assert data["charts"]["across"]["data"] == {"values": []}
    downloads = {a.get_text(): a["href"] for a in document.select("a.download")}
    base = sample.experiment_id
    assert downloads == {"runs.csv": f"{base}/runs.csv", "runs.json": f"{base}/runs.json"}


def test_runs_js_holds_columns_rows_and_nesting(site: Path, sample: Sample) -> None:
    data = js_data(site / paths.experiment_file(sample.experiment_id, "runs.js"))
    ids = [c["id"] for c in data["columns"]]
    assert ids[:4] == ["metrics.accuracy", "metrics.loss", "params.alpha", "params.model_type"]
    assert "tags.mlflow.source.git.commit" in ids and "tags.mlflow.runName" not in ids
    rows = {r["id"]: r for r in data["runs"]}
    columns = [
        c["v"] if "v" in c else [c["d"][i] if i >= 0 else None for i in c["c"]]
        for c in data["values"]
    ]
    for index, row in enumerate(data["runs"]):
        row["v"] = [column[index] for column in columns]
    model_type = data["values"][ids.index("params.model_type")]
    assert model_type["d"] == ["Ridge"] and sorted(model_type["c"]) == [-1, -1, -1, -1, 0]
    assert len(rows) == 5
    assert {rows[c]["parent"] for c in sample.children} == {sample.parent}
    assert rows[sample.parent]["commit"] == COMMIT[:12]
    assert rows[sample.failed]["status"] == "FAILED"
    loss = ids.index("metrics.loss")
    assert rows[sample.failed]["v"][loss] == "NaN"
    assert rows[sample.parent]["v"][loss] == 0.025
    assert data["goals"] == {"accuracy": "max", "loss": "min"}


def test_runs_csv_has_mlflow_columns_and_a_csv_injection_guard(
    tmp_path: Path, runs_root: Path
) -> None:
    import runreport

    runreport.set_experiment("csv")
    with runreport.start_run(run_name="risky"):
        runreport.log_param("cmd", '=HYPERLINK("http://evil")')
        runreport.log_metric("loss", -1.5)
    out = tmp_path / "site"
    build(runs_root, out)
    experiment_id = runreport.get_experiment_by_name("csv").experiment_id
    text = (out / paths.experiment_file(experiment_id, "runs.csv")).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    assert header[:6] == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert rows[0]["params.cmd"].startswith("'=")
    assert rows[0]["metrics.loss"] == "-1.5"
    assert rows[0]["artifact_uri"].startswith("runs/")  # no path of the build machine


def test_run_page_shows_meta_description_params_metrics_tags(site: Path, sample: Sample) -> None:
    document = soup(site / paths.run_page(sample.parent))
    assert document.select_one("h1").get_text(" ", strip=True) == "sweep FINISHED"
    fields = {tr.th.get_text(): tr.td for tr in document.select("table.kv")[0].select("tr")}
    assert fields["Run ID"].get_text() == sample.parent
    commit = fields["Git commit"].select_one("a")
    assert commit["href"] == f"https://github.com/acme/churn/commit/{COMMIT}"
    assert fields["Experiment"].a["href"] == f"../experiments/{sample.experiment_id}.html"
    assert fields["Duration"].get_text() != "-"
    description = document.select_one(".description")
    assert description.select_one("h2").get_text() == "Notes"
    assert description.select_one("a")["href"] == "https://example.com/docs"
    metrics = {
        tr.th.get_text(): [td.get_text() for td in tr.select("td")]
        for tr in document.select("#metrics tbody tr")
    }
    assert metrics["loss"] == ["0.025", "39", "0.025", "1", "40"]
    assert [a.get_text() for a in document.select("ul.children a")] == ["alpha-0.1", "alpha-1.0"]
    params = [tr.th.get_text() for tr in document.select("table.kv")[1].select("tr")]
    assert params == ["alpha", "model_type"]
    charts = document.select('.chart[data-chart="history"]')
    assert [c["data-metric"] for c in charts] == ["accuracy", "loss"]
    data = page_data(document)
    assert data["charts"]["step"]["encoding"]["x"]["field"] == "step"
    assert data["charts"]["time"]["encoding"]["x"]["type"] == "temporal"
    child = soup(site / paths.run_page(sample.children[0]))
    assert child.select_one(".relations a")["href"] == f"{sample.parent}.html"


def test_run_data_file_holds_summaries_and_histories(site: Path, sample: Sample) -> None:
    data = js_data(site / paths.run_data(sample.parent))
    assert data["id"] == sample.parent and data["experiment"]["name"] == "Purchase Prediction"
    assert data["metrics"]["loss"] == {
        "goal": "min",
        "last": 0.025,
        "max": 1.0,
        "min": 0.025,
        "step": 39,
    }
    history = data["history"]["loss"]
    assert history["step"] == list(range(40)) and len(history["time"]) == 40
    assert history["value"][0] == 1.0
    failed = js_data(site / paths.run_data(sample.failed))
    assert failed["history"]["loss"]["value"] == [None]
    assert failed["metrics"]["loss"]["last"] == "NaN"


def test_artifact_tree_previews_each_kind(site: Path, sample: Sample) -> None:
    document = soup(site / paths.run_page(sample.parent))
    tree = document.select_one("ul#artifacts")
    image = tree.select_one(".preview-image img")
    assert image["src"] == f"{sample.parent}/artifacts/plots/square.png"
    assert (site / "runs" / image["src"]).read_bytes()[:4] == b"\x89PNG"
    tables = tree.select("table.preview-table")
    assert [[th.get_text() for th in t.select("th")] for t in tables] == [
        ["epoch", "loss"],
        ["a", "b"],
    ]
    assert [td.get_text() for td in tables[0].select("tbody tr")[1].select("td")] == ["2", "0.25"]
    texts = [pre.get_text() for pre in tree.select(".preview-text pre")]
    assert any('"layers": [' in t for t in texts)  # JSON pretty-printed
    assert any("alpha: 0.5" in t for t in texts) and any("line 2" in t for t in texts)
    assert tree.select_one(".preview-markdown strong").get_text() == "good"
    frame = tree.select_one(".preview-html iframe")
    # HTML is shown inline in a fully sandboxed frame (no scripts, no same-origin access).
    assert frame.has_attr("sandbox") and not frame["sandbox"] and frame.has_attr("srcdoc")


def test_symlinked_artifacts_are_listed_but_never_copied(site: Path, sample: Sample) -> None:
    assert not (site / paths.run_artifact(sample.parent, "leak.txt")).exists()
    assert all(b"do not publish" not in data for data in site_files(site).values())
    document = soup(site / paths.run_page(sample.parent))
    leak = [li for li in document.select("ul#artifacts li") if "leak.txt" in li.get_text()]
    assert leak and leak[0].select("a") == []
    assert "not published" in leak[0].get_text()


def test_model_folder_is_shown_as_a_model_card(site: Path, sample: Sample) -> None:
    card = soup(site / paths.run_page(sample.model_run)).select_one("article.model-card")
    flavors = [li.code.get_text() for li in card.select("ul.flavors li")]
    assert flavors == ["python_function", "sklearn"]
    headings = [h.get_text() for h in card.select("h4")]
    assert headings[:5] == ["Flavors", "Inputs", "Outputs", "Input example", "Requirements"]
    inputs = [
        [td.get_text() for td in tr.select("td")][:2]
        for tr in card.select("table.schema")[0].select("tbody tr")
    ]
    assert inputs == [["age", "double"], ["income", "double"]]
    assert "scikit-learn==" in card.get_text()
    snippet = card.select_one("pre.snippet").get_text()
    assert f'runreport.pyfunc.load_model("runs:/{sample.model_run}/model")' in snippet


def test_every_link_is_relative(site: Path) -> None:
    for path in site.rglob("*.html"):
        document = soup(path)
        for node in document.select("[href], [src]"):
            target = node.get("href") or node.get("src")
            if target.startswith(("https://github.com/", "https://example.com/", "data:")):
                continue
            assert not re.match(r"^([a-z]+:|/)", target), (path, target)


def test_builds_are_deterministic_and_honour_source_date_epoch(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780000000")
    build(sample.root, tmp_path / "a")
    build(sample.root, tmp_path / "b")
    first, second = site_files(tmp_path / "a"), site_files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    footer = soup(tmp_path / "a" / "index.html").select_one("footer").get_text()
    assert "built 2026-05-28 20:26:40 UTC" in footer
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    build(sample.root, tmp_path / "c")
    assert "built" not in soup(tmp_path / "c" / "index.html").select_one("footer").get_text()


def test_rebuild_rewrites_only_what_changed(runs_root: Path, tmp_path: Path) -> None:
    import runreport

    runreport.set_experiment("inc")
    ids = []
    for index in range(3):
        with runreport.start_run(run_name=f"r{index}") as run:
            runreport.log_metric("loss", index)
        ids.append(run.info.run_id)
    out = tmp_path / "site"
    build(runs_root, out)
    before = {p: os.stat(p).st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build(runs_root, out)
    assert again.stats.written == 0 and again.runs_reused == 3 and again.runs_made == 0
    with runreport.start_run(run_name="new") as new:
        runreport.log_metric("loss", 9)
    report = build(runs_root, out)
    assert report.runs_made == 1 and report.runs_reused == 3
    experiment_id = runreport.get_experiment_by_name("inc").experiment_id
    assert sorted(report.stats.written_paths) == sorted(
        [
            "index.html",
            paths.experiment_page(experiment_id),
            *(
                paths.experiment_file(experiment_id, n)
                for n in ("runs.csv", "runs.js", "runs.json")
            ),
            paths.run_page(new.info.run_id),
            paths.run_data(new.info.run_id),
        ]
    )
    for run_id in ids:
        page = out / paths.run_page(run_id)
        assert os.stat(page).st_mtime_ns == before[page]
    runreport.delete_run(ids[0])
    removed = build(runs_root, out)
    assert removed.stats.removed == 2 and not (out / paths.run_page(ids[0])).exists()


def test_bad_runs_are_skipped_with_a_warning_naming_folder_and_reason(
    runs_root: Path, tmp_path: Path
) -> None:
    import runreport

    experiment_id = runreport.set_experiment("bad").experiment_id
    with runreport.start_run(run_name="good"):
        runreport.log_metric("loss", 1)
    bad = write_bad_runs(runs_root, experiment_id)
    report = build(runs_root, tmp_path / "site")
    assert report.runs == 1 and report.failed
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert "not valid JSON" in reasons[bad["corrupt"].name]
    assert "half-written" in reasons[bad["half"].name]
    assert "format_version 99 is newer" in reasons[bad["future"].name]
    skipped = soup(tmp_path / "site" / "index.html").select("details#skipped li")
    assert len(skipped) == 3 and str(runs_root.parent) not in str(skipped)

    result = CliRunner().invoke(main, ["build", str(runs_root), "-o", str(tmp_path / "s2")])
    assert result.exit_code == 0
    assert f"Warning: skipped {bad['corrupt']}" in result.output
    strict = CliRunner().invoke(
        main, ["build", str(runs_root), "-o", str(tmp_path / "s3"), "--strict"]
    )
    assert strict.exit_code == 1 and "--strict" in strict.output


def test_self_contained_pages_inline_every_asset(sample: Sample, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(sample.root, out, self_contained=True)
    for page in (
        out / "index.html",
        out / paths.run_page(sample.parent),
        out / paths.experiment_page(sample.experiment_id),
    ):
        document = soup(page)
        assert (
            document.select("script[src]") == [] and document.select('link[rel="stylesheet"]') == []
        )
        inline = " ".join(s.get_text() for s in document.select("script:not([src])"))
        if page.name != "index.html":
            assert "window.vegaEmbed" in inline
        assert document.select_one("style") is not None
    run_page = soup(out / paths.run_page(sample.parent))
    assert run_page.select_one(".preview-image img")["src"].startswith("data:image/png;base64,")
    assert "runreportRunData" in str(run_page)


def test_cli_build_defaults_title_and_summary(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.copytree(sample.root, tmp_path / "runs", symlinks=True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--title", "Churn <models>"])
    assert result.exit_code == 0, result.output
    assert "2 experiments, 6 runs" in result.output and "0 skipped" in result.output
    document = soup(tmp_path / "site" / "index.html")
    assert document.select_one("a.brand").get_text() == "Churn <models>"


def test_output_inside_the_runs_folder_is_refused(sample: Sample) -> None:
    result = CliRunner().invoke(main, ["build", str(sample.root), "-o", str(sample.root / "site")])
    assert result.exit_code == 1 and "overlaps the runs folder" in result.output
