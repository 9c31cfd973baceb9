"""The examples run as scripts, the GitHub recipes are well formed, and runreport demo works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import runreport
from tests.conftest import python_env

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run_example(name: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,
        env=python_env(
            MPLBACKEND="Agg",
            RUNREPORT_TRACKING_URI=str(tmp_path / "runs"),
            RUNREPORT_REGISTRY=str(tmp_path / "stages.yaml"),
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
def test_purchase_prediction_example(tmp_path: Path) -> None:
    output = _run_example("purchase_prediction.py", tmp_path).stdout
    assert "runs in" in output
    client = runreport.Client(str(tmp_path / "runs"))
    exp = client.get_experiment_by_name("Purchase Prediction").experiment_id
    runs = {r.info.run_name: r for r in client.search_runs([exp])}
    assert {"linear_regression_v1", "LinearRegression", "Ridge", "Lasso", "RandomForest"} <= set(
        runs
    )
    main = runs["linear_regression_v1"]
    assert {"r2_score", "rmse", "mae", "coef_views", "coef_cart_adds", "intercept"} <= set(
        main.data.metrics
    )
    names = {f.path for f in client.list_artifacts(main.info.run_id)}
    assert {"model_evaluation.png", "model"} <= names
    assert main.info.description == "Baseline from the tutorial"
    registry = runreport.Client(str(tmp_path / "runs"), registry_uri=str(tmp_path / "stages.yaml"))
    version = registry.get_latest_versions("PurchasePredictionModel")[0]
    assert version.run_id == main.info.run_id


@pytest.mark.slow
def test_model_comparison_registers_and_promotes_the_best(tmp_path: Path) -> None:
    _run_example("model_comparison.py", tmp_path)
    client = runreport.Client(str(tmp_path / "runs"), registry_uri=str(tmp_path / "stages.yaml"))
    staging = client.get_latest_versions("PurchasePredictionModel", stages=["Staging"])
    assert len(staging) == 1
    exp = client.get_experiment_by_name("Purchase Prediction").experiment_id
    best = client.search_runs([exp], order_by=["metrics.r2_score DESC"])[0]
    assert staging[0].run_id == best.info.run_id


@pytest.mark.slow
def test_training_curves_nested_sweep_with_a_failed_run(tmp_path: Path) -> None:
    _run_example("training_curves.py", tmp_path)
    client = runreport.Client(str(tmp_path / "runs"))
    exp = client.get_experiment_by_name("Training Curves").experiment_id
    runs = {r.info.run_name: r for r in client.search_runs([exp])}
    parent = runs["lr-sweep"]
    children = [r for r in runs.values() if r.info.parent_run_id == parent.info.run_id]
    assert len(children) == 4
    assert runs["lr=2.5"].info.status == "FAILED"
    assert runs["lr=0.2"].info.status == "FINISHED"
    history = client.get_metric_history(runs["lr=0.2"].info.run_id, "val_loss")
    assert [m.step for m in history] == list(range(60))


def test_github_recipes_are_well_formed() -> None:
    pages = yaml.safe_load((EXAMPLES / "github" / "pages.yml").read_text())
    steps = [s.get("uses", s.get("run", "")) for s in pages["jobs"]["build"]["steps"]]
    assert any("upload-pages-artifact" in s for s in steps)
    assert any("runreport build" in s for s in steps)
    assert pages["jobs"]["build"]["steps"][0]["with"]["fetch-depth"] == 0
    assert pages["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages")
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    comment = yaml.safe_load((EXAMPLES / "github" / "pr-comment.yml").read_text())
    post = next(
        s
        for s in comment["jobs"]["compare"]["steps"]
        if s.get("name") == "Post or update the comment"
    )
    assert post["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "<!-- runreport:comparison -->" in post["with"]["script"]
    check = yaml.safe_load((EXAMPLES / "github" / "registry-check.yml").read_text())
    assert check[True]["pull_request"]["paths"] == [
        "stages.yaml",
        "runreport.yaml",
    ]  # `on:` parses as True
    hooks = yaml.safe_load((EXAMPLES.parent / ".pre-commit-hooks.yaml").read_text())
    assert (
        hooks[0]["id"] == "runreport-registry-check"
        and hooks[0]["entry"] == "runreport registry check"
    )


@pytest.mark.slow
def test_demo_builds_a_site_with_content(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "runreport",
            "demo",
            "-o",
            str(tmp_path / "site"),
            "--workspace",
            str(tmp_path / "ws"),
        ],
        cwd=tmp_path,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site"
    assert done.stdout.strip() == f"Open {(site / 'index.html').as_uri()}"
    assert "Purchase Prediction" in (site / "index.html").read_text()
    experiment_pages = list((site / "experiments").glob("*.html"))
    assert len(experiment_pages) == 2
    assert len(list((site / "runs").glob("*.html"))) >= 14
    assert (site / "compare.html").is_file()
    registry = (site / "registry.html").read_text()
    assert "PurchasePredictionModel" in registry and "Production" in registry
    changelog = (site / "changelog.html").read_text()
    assert "#3" in changelog and "#4" in changelog and "Production" in changelog
    assert "<entry>" in (site / "changelog.xml").read_text()
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=tmp_path / "ws", capture_output=True, text=True
    ).stdout
    assert "Merge pull request #3" in log and "(#4)" in log
