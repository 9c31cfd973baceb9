"""The tutorial (shared/seed/mlflow-basics.md) runs on runreport with only imports changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import runreport
from tests.conftest import python_env

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "mlflow-basics.md"
HARNESS = Path(__file__).resolve().parent / "tutorial" / "harness.py"


@pytest.fixture(scope="module")
def tutorial_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    if not SEED.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the tutorial is missing: {SEED}")
        pytest.skip(f"the tutorial is not beside this checkout ({SEED})")
    work = tmp_path_factory.mktemp("tutorial")
    root = work / "runs"
    done = subprocess.run(
        [sys.executable, str(HARNESS), str(SEED), str(root)],
        cwd=work,
        env=python_env(MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root, done.stdout


def test_only_import_lines_change() -> None:
    sys.path.insert(0, str(HARNESS.parent))
    try:
        import harness
    finally:
        sys.path.remove(str(HARNESS.parent))
    if not SEED.exists():
        pytest.skip("tutorial not present")
    markdown = SEED.read_text(encoding="utf-8")
    for section in harness.SECTIONS:
        original = harness.code_block(markdown, section).splitlines()
        ported = harness.port(harness.code_block(markdown, section)).splitlines()
        changed = [(a, b) for a, b in zip(original, ported, strict=True) if a != b]
        assert all("import" in a and "mlflow" in a for a, _ in changed), changed


def test_section_3_4_and_6_3(tutorial_runs: tuple[Path, str]) -> None:
    root, _ = tutorial_runs
    client = runreport.Client(str(root))
    assert client.get_experiment_by_name("my_experiment") is not None
    assert client.get_experiment_by_name("new_experiment") is not None
    exp = client.get_experiment_by_name("my_experiment").experiment_id
    runs = client.search_runs([exp], order_by=["start_time ASC"])
    assert runs[0].info.run_name == "my_run"
    logged = runs[1]  # the run the logging calls started after end_run(), as in MLflow
    assert logged.data.params == {"param_name": "0.01", "p1": "1", "p2": "2"}
    assert logged.data.tags["tag_name"] == "value" and logged.data.tags["t1"] == "1"
    assert {f.path for f in client.list_artifacts(logged.info.run_id)} == {"file", "a.txt"}
    curves = runs[2]
    assert curves.data.metric_summaries["train_loss"].count == 100
    assert [m.step for m in client.get_metric_history(curves.info.run_id, "val_loss")] == list(
        range(100)
    )


def test_section_9_8_enhanced_example(tutorial_runs: tuple[Path, str]) -> None:
    root, output = tutorial_runs
    client = runreport.Client(str(root))
    exp = client.get_experiment_by_name("Purchase Prediction").experiment_id
    run = client.search_runs([exp], "attributes.run_name = 'linear_regression_v1'")[0]
    assert run.data.params["model_type"] == "LinearRegression"
    assert run.data.params["features"] == "views,cart_adds"
    assert run.data.tags["use_case"] == "purchase_prediction"
    for key in (
        "r2_score_train",
        "r2_score_test",
        "rmse",
        "mae",
        "coef_views",
        "coef_cart_adds",
        "intercept",
    ):
        assert key in run.data.metrics
    assert run.data.metrics["r2_score_test"] > 0.8
    names = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"model_evaluation.png", "model"} <= names
    model_files = {f.path for f in client.list_artifacts(run.info.run_id, "model")}
    assert {"model/MLmodel", "model/input_example.json", "model/requirements.txt"} <= model_files
    assert "R² Score (Test):" in output


def test_sections_10_3_and_10_2_compare_four_models(tutorial_runs: tuple[Path, str]) -> None:
    root, output = tutorial_runs
    client = runreport.Client(str(root))
    exp = client.get_experiment_by_name("Purchase Prediction").experiment_id
    runs = client.search_runs([exp], "metrics.r2_score > -100")
    names = {r.info.run_name for r in runs}
    assert {"LinearRegression", "Ridge", "Lasso", "RandomForest"} <= names
    assert "RandomForest: R² =" in output
    section = output.split("--- section 10.2")[1]
    assert "[5 rows x 4 columns]" in section  # run_id, model_type, r2_score, rmse; 5 runs


def test_section_11_3_code_organization(tutorial_runs: tuple[Path, str]) -> None:
    root, output = tutorial_runs
    client = runreport.Client(str(root))
    exp = client.get_experiment_by_name("Purchase Prediction").experiment_id
    run = client.search_runs([exp], "attributes.run_name = 'ridge_alpha_0.5'")[0]
    assert run.data.params == {"run_name": "ridge_alpha_0.5", "alpha": "0.5"}
    assert set(run.data.metrics) == {"r2_score", "mae"}
    assert {f.path for f in client.list_artifacts(run.info.run_id)} == {
        "actual_vs_predicted.png",
        "model",
    }
    assert "11.3 metrics:" in output
