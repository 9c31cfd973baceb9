"""Serving and batch scoring by model URI: ``runs:/<run_id>/model`` and ``models:/Name/Stage``.

The ``models:/`` tests build a registry through runreport's public API; they skip only while
``runreport.registry`` does not exist in this checkout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import runreport
import runreport.pyfunc
import runreport.sklearn
from tests.conftest import python_env
from tests.test_serving_support import (
    HAVE_REGISTRY,
    Server,
    need,
    purchase_frame,
    save_purchase_model,
)

need("uvicorn", "starlette")  # the serve extra

pytestmark = pytest.mark.slow
NAME = "PurchasePredictionModel"


@pytest.fixture
def logged_run(runs_root: Path, tmp_path: Path) -> str:
    """A run with a logged model under ``model``; returns the run id."""
    save_purchase_model(tmp_path / "saved")
    estimator = runreport.sklearn.load_model(tmp_path / "saved")
    signature = runreport.models.get_model_info(tmp_path / "saved").signature
    with runreport.start_run() as run:
        runreport.sklearn.log_model(estimator, "model", signature=signature)
    return run.info.run_id


@pytest.fixture
def registry(logged_run: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not HAVE_REGISTRY:
        pytest.skip("runreport.registry is not in this checkout yet (models:/ URIs need it)")
    path = tmp_path / "stages.yaml"
    monkeypatch.setenv("RUNREPORT_REGISTRY", str(path))
    version = runreport.register_model(f"runs:/{logged_run}/model", NAME)
    runreport.MlflowClient().transition_model_version_stage(NAME, version.version, "Production")
    return path


def _serve_and_score(uri: str, log_dir: Path, **env: str) -> list[float]:
    server = Server(uri, log_dir, **env)
    try:
        server.wait_ready()
        frame = purchase_frame(4, seed=5)
        status, answer = server.post_json({"dataframe_records": frame.to_dict("records")})
        assert status == 200, answer
        return answer["predictions"]
    finally:
        server.stop()


def test_serve_a_runs_uri(logged_run: str, runs_root: Path, tmp_path: Path) -> None:
    uri = f"runs:/{logged_run}/model"
    got = _serve_and_score(uri, tmp_path, RUNREPORT_TRACKING_URI=str(runs_root))
    expected = runreport.pyfunc.load_model(uri).predict(purchase_frame(4, seed=5))
    np.testing.assert_allclose(got, expected)


def test_serve_and_predict_the_production_model(
    registry: Path, runs_root: Path, tmp_path: Path
) -> None:
    uri = f"models:/{NAME}/Production"
    env = {"RUNREPORT_TRACKING_URI": str(runs_root), "RUNREPORT_REGISTRY": str(registry)}
    expected = runreport.pyfunc.load_model(uri).predict(purchase_frame(4, seed=5))
    np.testing.assert_allclose(_serve_and_score(uri, tmp_path, **env), expected)
    purchase_frame(4, seed=5).to_csv(tmp_path / "rows.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "runreport", "predict", "-m", uri, "-i", str(tmp_path / "rows.csv")],
        env=python_env(**env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(json.loads(done.stdout)["predictions"], expected)


def test_an_unknown_stage_is_a_one_line_error(registry: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runreport", "serve", "-m", f"models:/{NAME}/Staging"],
        env=python_env(RUNREPORT_REGISTRY=str(registry)),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1 and done.stderr.startswith("Error: ")
    assert "Traceback" not in done.stderr
