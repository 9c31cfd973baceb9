"""Reading MLflow's file store and SQLite database, and importing them, without MLflow.

The fixtures in tests/fixtures/mlflow/ were written by real MLflow (regenerate.py there);
expected.json beside each holds what MLflow's own client returned for them.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import runreport
import runreport.pyfunc
from runreport.store.importer import import_source
from runreport.store.sources import MLFLOW_SQLITE, MLRUNS, RUNREPORT, open_source
from runreport.tracking.foreign import ReadOnlyClient

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mlflow"
KINDS = ["filestore", "sqlite"]


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict]:
    """A copy of one fixture store (its tracking URI) and what MLflow's client returned for it."""
    shutil.copytree(FIXTURES / request.param, tmp_path / request.param)
    folder = tmp_path / request.param
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    uri = (
        str(folder / "mlruns")
        if request.param == "filestore"
        else f"sqlite:///{folder / 'mlflow.db'}"
    )
    return uri, expected


def _value(text: str) -> float:
    return float(text)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_sources_are_detected_from_what_a_path_holds(tmp_path: Path) -> None:
    assert open_source(FIXTURES / "filestore" / "mlruns").kind == MLRUNS
    assert open_source(FIXTURES / "sqlite" / "mlflow.db").kind == MLFLOW_SQLITE
    assert open_source(tmp_path).kind == RUNREPORT
    (tmp_path / "x.txt").write_text("not a db")
    with pytest.raises(runreport.InvalidParameterError, match="not an SQLite database"):
        open_source(tmp_path / "x.txt")


def test_every_experiment_and_run_matches_mlflow(store: tuple[str, dict]) -> None:
    uri, expected = store
    client = runreport.Client(uri)
    assert isinstance(client, ReadOnlyClient)
    experiments = {
        e.experiment_id: e for e in client.search_experiments(view_type=runreport.ViewType.ALL)
    }
    assert {i: (e.name, e.lifecycle_stage, e.tags) for i, e in experiments.items()} == {
        i: (e["name"], e["lifecycle_stage"], e["tags"]) for i, e in expected["experiments"].items()
    }
    runs = client.search_runs(list(experiments), run_view_type=runreport.ViewType.ALL)
    assert {r.info.run_id for r in runs} == set(expected["runs"])
    for run in runs:
        want = expected["runs"][run.info.run_id]
        info = run.info
        got = [
            info.experiment_id,
            info.run_name,
            info.status,
            info.lifecycle_stage,
            info.start_time,
            info.end_time,
            info.user_id,
        ]
        assert got == [
            want[k]
            for k in (
                "experiment_id",
                "run_name",
                "status",
                "lifecycle_stage",
                "start_time",
                "end_time",
                "user_id",
            )
        ]
        assert run.data.params == want["params"]
        assert run.data.tags == want["tags"]
        assert run.data.metrics.keys() == want["metrics"].keys()
        for key, text in want["metrics"].items():
            assert _same(run.data.metrics[key], _value(text)), key
        for key, points in want["histories"].items():
            history = client.get_metric_history(info.run_id, key)
            got_points = sorted((m.timestamp, m.step, repr(m.value)) for m in history)
            assert got_points == sorted(tuple(p) for p in points), key


def test_deleted_runs_and_experiments_are_hidden_by_default(store: tuple[str, dict]) -> None:
    uri, _ = store
    client = runreport.Client(uri)
    names = {e.name for e in client.search_experiments()}
    assert "Old experiment" not in names and "Ünïcode Expériment 🚀" in names
    exp = client.get_experiment_by_name("Ünïcode Expériment 🚀").experiment_id
    shown = {r.info.run_name for r in client.search_runs([exp])}
    assert "deleted" not in shown and {"child", "failed", "mlflow2-style"} <= shown


def test_search_filters_work_on_mlflow_runs(store: tuple[str, dict]) -> None:
    uri, _ = store
    runreport.set_tracking_uri(uri)
    try:
        frame = runreport.search_runs(
            search_all_experiments=True,
            filter_string="params.`optimizer/lr` = '0.01' OR metrics.r2_score > 0.9",
            order_by=["attributes.run_name ASC"],
        )
    finally:
        from runreport.tracking import location

        location.reset_tracking_uri()
    assert list(frame["tags.mlflow.runName"]) == ["child", "parent <b>bold</b>"]
    assert frame.loc[1, "params.html"] == '<script>alert("x")</script>'


def test_parent_description_and_nested_runs(store: tuple[str, dict]) -> None:
    client = runreport.Client(store[0])
    runs = {
        r.info.run_name: r
        for r in client.search_runs([e.experiment_id for e in client.search_experiments()])
    }
    parent, child = runs["parent <b>bold</b>"], runs["child"]
    assert child.info.parent_run_id == parent.info.run_id
    assert parent.info.description == "# Notes\nA *parent* run."
    summary = parent.data.metric_summaries["loss/train"]
    points = store[1]["runs"][parent.info.run_id]["histories"]["loss/train"]
    assert (summary.count, summary.min, summary.max, summary.latest.step) == (
        len(points),
        0.1,
        1.0,
        9,
    )


def test_models_in_both_layouts_load_with_pyfunc(store: tuple[str, dict]) -> None:
    uri, _ = store
    client = runreport.Client(uri)
    runs = {
        r.info.run_name: r
        for r in client.search_runs([e.experiment_id for e in client.search_experiments()])
    }
    new_style, old_style = runs["parent <b>bold</b>"], runs["mlflow2-style"]
    assert "model" in client.source.model_dirs(new_style.info.run_id)
    assert "model" in client.source.model_dirs(old_style.info.run_id)
    runreport.set_tracking_uri(uri)
    try:
        for run in (new_style, old_style):
            model = runreport.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
            assert model.predict(np.array([[1.0, 2.0]])) == pytest.approx([3.0])
    finally:
        from runreport.tracking import location

        location.reset_tracking_uri()


def test_registry_skips_deleted_versions(store: tuple[str, dict]) -> None:
    uri, expected = store
    models = {m.name: m for m in runreport.Client(uri).source.registry()}
    want = expected["registry"]["PurchaseModel"]
    got = models["PurchaseModel"]
    assert got.description == want["description"]
    assert got.aliases == {k: int(v) for k, v in want["aliases"].items()}
    live = {str(v.version): v for v in got.versions}
    assert (
        set(live)
        == {v for v, d in want["versions"].items() if d["stage"] != "Deleted_Internal"}
        == {"1", "2"}
    )
    for version, data in live.items():
        assert (data.stage, data.source, data.run_id, data.description) == tuple(
            want["versions"][version][k] for k in ("stage", "source", "run_id", "description")
        )


def test_artifacts_fall_back_to_the_runs_own_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "filestore", tmp_path / "fs")
    root = tmp_path / "fs" / "mlruns"
    meta_path = next(
        p
        for p in root.glob("*/*/meta.yaml")
        if yaml.safe_load(p.read_text()).get("run_name") == "parent <b>bold</b>"
    )
    meta = yaml.safe_load(meta_path.read_text())
    meta["artifact_uri"] = "file:///nonexistent/machine/path/artifacts"
    meta_path.write_text(yaml.safe_dump(meta))
    client = runreport.Client(str(root))
    run = client.get_run(meta["run_id"])
    assert run.info.artifact_uri == (meta_path.parent / "artifacts").as_uri()
    assert {f.path for f in client.list_artifacts(run.info.run_id)} >= {"config.json", "logs"}
    meta["artifact_uri"] = "s3://bucket/path/artifacts"
    meta_path.write_text(yaml.safe_dump(meta))
    assert client.get_run(meta["run_id"]).info.artifact_uri == "s3://bucket/path/artifacts"
    assert client.list_artifacts(meta["run_id"]) == []


def test_metric_files_with_two_and_five_fields_and_duplicates(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "filestore", tmp_path / "fs")
    root = tmp_path / "fs" / "mlruns"
    run_dir = next(
        p.parent
        for p in root.glob("*/*/meta.yaml")
        if yaml.safe_load(p.read_text()).get("run_name") == "child"
    )
    (run_dir / "metrics" / "old").write_text("100 1.5\n100 1.5\n")
    (run_dir / "metrics" / "with_dataset").write_text("200 2.5 4 train abc123\nbroken line here\n")
    run = runreport.Client(str(root)).get_run(run_dir.name)
    assert run.data.metrics["old"] == 1.5 and run.data.metric_summaries["old"].count == 2
    assert run.data.metric_summaries["with_dataset"].latest.step == 4


def test_writes_to_an_mlflow_store_are_refused_with_a_way_out(store: tuple[str, dict]) -> None:
    client = runreport.Client(store[0])
    with pytest.raises(runreport.RunReportError, match="runreport import mlflow"):
        client.create_experiment("new")
    with pytest.raises(runreport.RunReportError, match="does not write"):
        client.log_param("x", "k", "v")


def test_import_is_lossless_idempotent_and_resumable(
    store: tuple[str, dict], tmp_path: Path
) -> None:
    uri, expected = store
    target = tmp_path / "imported"
    report = import_source(open_source(uri), target)
    assert report.runs_imported == len(expected["runs"]) and not report.problems
    client = runreport.Client(str(target))
    assert not isinstance(client, ReadOnlyClient)
    runs = {
        r.info.run_id: r
        for r in client.search_runs(
            [e.experiment_id for e in client.search_experiments(view_type=3)], run_view_type=3
        )
    }
    assert set(runs) == set(expected["runs"])
    for run_id, want in expected["runs"].items():
        run = runs[run_id]
        assert (run.info.run_name, run.info.status, run.info.start_time) == (
            want["run_name"],
            want["status"],
            want["start_time"],
        )
        assert run.data.params == want["params"] and run.data.tags == want["tags"]
        for key, points in want["histories"].items():
            got = sorted(
                (m.timestamp, m.step, repr(m.value)) for m in client.get_metric_history(run_id, key)
            )
            assert got == sorted(tuple(p) for p in points)
    parent = next(r for r in runs.values() if r.info.run_name == "parent <b>bold</b>")
    model = runreport.pyfunc.load_model(
        str(Path(client.artifacts_dir(parent.info.run_id)) / "model")
    )
    assert model.predict(np.array([[1.0, 2.0]])) == pytest.approx([3.0])

    again = import_source(open_source(uri), target)
    assert again.runs_imported == 0 and again.runs_skipped_existing == len(expected["runs"])

    victim = client.run_dir(parent.info.run_id)
    shutil.rmtree(victim)
    (victim.parent / f".import-{parent.info.run_id}").mkdir()  # a killed import's leftover
    resumed = import_source(open_source(uri), target)
    assert resumed.runs_imported == 1
    assert not (victim.parent / f".import-{parent.info.run_id}").exists()
    assert (
        runreport.Client(str(target)).get_run(parent.info.run_id).data.params
        == expected["runs"][parent.info.run_id]["params"]
    )


def test_registry_api_and_model_uris_read_mlflows_registry(store: tuple[str, dict]) -> None:
    uri, _ = store
    runreport.set_tracking_uri(uri)
    try:
        client = runreport.Client()
        model = client.get_registered_model("PurchaseModel")
        assert model.description == "Predicts purchases" and model.aliases == {"champion": 1}
        assert [(v.version, v.current_stage) for v in model.latest_versions] == [
            (1, "Production"),
            (2, "Staging"),
        ]
        assert client.get_model_version("PurchaseModel", 2).description == "candidate <i>v2</i>"
        assert client.get_model_version_by_alias("PurchaseModel", "champion").run_id
        for model_uri in (
            "models:/PurchaseModel/Production",
            "models:/PurchaseModel/staging",
            "models:/PurchaseModel@champion",
        ):
            assert runreport.pyfunc.load_model(model_uri).predict(
                np.array([[1.0, 2.0]])
            ) == pytest.approx([3.0])
        with pytest.raises(runreport.RunReportError, match="does not write"):
            client.transition_model_version_stage("PurchaseModel", 2, "Production")
    finally:
        from runreport.tracking import location

        location.reset_tracking_uri()


def test_import_puts_the_registry_into_stages_yaml(store: tuple[str, dict], tmp_path: Path) -> None:
    uri, _ = store
    stages = tmp_path / "stages.yaml"
    report = import_source(open_source(uri), tmp_path / "runs", stages)
    assert report.models_registered == 1
    client = runreport.Client(str(tmp_path / "runs"), registry_uri=str(stages))
    versions = {v.version: v for v in client.search_model_versions("name = 'PurchaseModel'")}
    assert {v: (m.current_stage, m.source.startswith("runs:/")) for v, m in versions.items()} == {
        1: ("Production", True),
        2: ("Staging", True),
    }
    assert client.get_registered_model("PurchaseModel").aliases == {"champion": 1}
    runreport.set_tracking_uri(str(tmp_path / "runs"))
    try:
        model = runreport.pyfunc.load_model(versions[1].source)
        assert model.predict(np.array([[1.0, 2.0]])) == pytest.approx([3.0])
    finally:
        from runreport.tracking import location

        location.reset_tracking_uri()
    again = import_source(open_source(uri), tmp_path / "runs", stages)
    assert again.models_registered == 0


def test_cli_reads_mlflow_sources_and_imports(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from runreport.cli import main

    source = FIXTURES / "filestore" / "mlruns"
    listed = CliRunner().invoke(main, ["runs", "list", "--source", str(source), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert {r["run_name"] for r in json.loads(listed.output)} >= {"child", "failed"}
    stages = tmp_path / "stages.yaml"
    args = [
        "import",
        "mlflow",
        str(source),
        "--to",
        str(tmp_path / "runs"),
        "--registry",
        str(stages),
    ]
    imported = CliRunner().invoke(main, args)
    assert imported.exit_code == 0 and "imported" in imported.output
    assert "PurchaseModel" in stages.read_text()


def test_site_builds_from_mlflow_stores_mixed_with_run_folders(tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    from runreport.site.build import BuildOptions, build_site

    ours = tmp_path / "runs"
    runreport.Client(str(ours)).create_experiment("ours")
    options = BuildOptions(
        runs_dirs=[FIXTURES / "filestore" / "mlruns", FIXTURES / "sqlite" / "mlflow.db", ours],
        output=tmp_path / "site",
    )
    report = build_site(options)
    assert not report.problems and report.runs >= 8
    site = tmp_path / "site"
    home = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    assert "Ünïcode Expériment 🚀" in home.get_text()
    registry = (site / "registry.html").read_text()
    assert "PurchaseModel" in registry
    assert not list(FIXTURES.glob("**/.runreport-cache"))  # the MLflow fixtures were not written to
    pages = [p.read_text() for p in (site / "runs").glob("*.html")]
    assert any("parent &lt;b&gt;bold&lt;/b&gt;" in page for page in pages)
    assert not any("<b>bold</b>" in page for page in pages)
