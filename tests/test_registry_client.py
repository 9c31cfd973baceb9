"""The registry API: MlflowClient's method names over stages.yaml, models:/ URIs, log_model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import runreport
import runreport.pyfunc
import runreport.sklearn
from runreport.exceptions import (
    FilterSyntaxError,
    InvalidParameterError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from runreport.registry import ModelVersion, RegisteredModel, resolve_model_uri
from tests.conftest import python_env

X = np.arange(8.0).reshape(-1, 1)


def log_model_run(slope: float, r2: float, registered_model_name: str | None = None) -> str:
    """Train ``y = slope * x`` and log it with metrics into the current runs folder."""
    model = LinearRegression().fit(X, slope * X[:, 0])
    with runreport.start_run() as run:
        runreport.log_metrics({"r2_score": r2, "rmse": 1 - r2})
        runreport.sklearn.log_model(
            model, name="model", registered_model_name=registered_model_name
        )
    return run.info.run_id


@pytest.fixture
def workspace(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the current directory) with a runs folder and no registry yet."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RUNREPORT_REGISTRY", raising=False)
    return tmp_path


@pytest.fixture
def three_versions(workspace: Path) -> dict[int, str]:
    """Model 'Shop' v1 Archived (slope 1), v2 Production (slope 2), v3 None (slope 3)."""
    runs = {n: log_model_run(float(n), 0.7 + n / 10) for n in (1, 2, 3)}
    for run_id in runs.values():
        runreport.register_model(f"runs:/{run_id}/model", "Shop")
    client = runreport.Client()
    client.transition_model_version_stage("Shop", 1, "Archived")
    client.transition_model_version_stage("Shop", "2", "production")
    client.set_registered_model_alias("Shop", "champion", 2)
    return runs


def test_register_model_records_the_next_version(workspace: Path) -> None:
    run_id = log_model_run(2.0, 0.9)
    first = runreport.register_model(f"runs:/{run_id}/model", "Shop", tags={"team": "ml"})
    second = runreport.register_model(f"runs:/{run_id}/model", "Shop")
    assert isinstance(first, ModelVersion)
    assert (first.name, first.version, second.version) == ("Shop", 1, 2)
    assert first.current_stage == "None" and first.status == "READY"
    assert first.source == f"runs:/{run_id}/model" and first.run_id == run_id
    assert first.tags == {"team": "ml"} and first.aliases == []
    assert (workspace / "stages.yaml").read_text() == (
        "models:\n"
        "  Shop:\n"
        "    versions:\n"
        f'      1: {{source: "runs:/{run_id}/model", stage: None, tags: {{team: ml}}}}\n'
        f'      2: {{source: "runs:/{run_id}/model", stage: None}}\n'
    )


def test_local_sources_are_recorded_relative_to_the_registry(workspace: Path) -> None:
    model = LinearRegression().fit(X, X[:, 0])
    runreport.sklearn.save_model(model, workspace / "models" / "m1")
    outside = workspace.parent / f"{workspace.name}-outside"
    runreport.sklearn.save_model(model, outside)
    assert runreport.register_model("models/m1", "Local").source == "models/m1"
    assert runreport.register_model((workspace / "models/m1").as_uri(), "Local").source == (
        "models/m1"
    )
    assert runreport.register_model(str(outside), "Local").source == str(outside)
    assert resolve_model_uri("models:/Local/1") == str(workspace / "models" / "m1")
    predicted = runreport.pyfunc.load_model("models:/Local/1").predict(X[:2])
    assert np.allclose(predicted, [0.0, 1.0])


def test_register_refuses_what_is_not_a_model(workspace: Path) -> None:
    (workspace / "empty").mkdir()
    with pytest.raises(ResourceNotFoundError, match="has no MLmodel file"):
        runreport.register_model("empty", "Shop")
    with pytest.raises(ResourceNotFoundError, match="runs:/0123456789abcdef"):
        runreport.register_model("runs:/0123456789abcdef/model", "Shop")
    with pytest.raises(InvalidParameterError, match="model name 'a/b' is not valid"):
        runreport.register_model("empty", "a/b")
    assert not (workspace / "stages.yaml").exists()


def test_log_model_with_registered_model_name_registers(workspace: Path) -> None:
    run_id = log_model_run(3.0, 0.9, registered_model_name="Shop")
    log_model_run(4.0, 0.9, registered_model_name="Shop")
    version = runreport.Client().get_model_version("Shop", 1)
    assert version.source == f"runs:/{run_id}/model"
    assert np.allclose(runreport.pyfunc.load_model("models:/Shop/1").predict(X[1:2]), [3.0])
    assert np.allclose(runreport.sklearn.load_model("models:/Shop/2").predict(X[1:2]), [4.0])


@pytest.mark.parametrize(
    ("uri", "slope"),
    [
        ("models:/Shop/Production", 2.0),
        ("models:/Shop/production", 2.0),
        ("models:/Shop/1", 1.0),
        ("models:/Shop/latest", 3.0),
        ("models:/Shop@champion", 2.0),
        ("models:/Shop/Archived", 1.0),
    ],
)
def test_models_uris_load_and_predict(
    three_versions: dict[int, str], uri: str, slope: float
) -> None:
    model = runreport.pyfunc.load_model(uri)
    assert np.allclose(model.predict(X[1:3]), [slope, 2 * slope])


_NOT_FOUND = ResourceNotFoundError


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        (
            "models:/Nope/1",
            _NOT_FOUND,
            "registered model 'Nope' does not exist in stages.yaml; models: 'Shop'",
        ),
        (
            "models:/Shop/9",
            _NOT_FOUND,
            "version 9 of model 'Shop' does not exist; versions: 1, 2, 3",
        ),
        (
            "models:/Shop/Staging",
            _NOT_FOUND,
            "model 'Shop' has no version in stage Staging; stages in use: None (3), "
            "Production (2), Archived (1)",
        ),
        (
            "models:/Shop@best",
            _NOT_FOUND,
            "alias 'best' of model 'Shop' does not exist; aliases: champion -> 2",
        ),
        (
            "models:/Shop/prod",
            InvalidParameterError,
            "'prod' is not a version number, 'latest' or a stage (None, Staging, Production, "
            "Archived)",
        ),
        ("models:/Shop", InvalidParameterError, "expected models:/<name>/<version>"),
    ],
)
def test_unknown_model_version_stage_or_alias_names_what_exists(
    three_versions: dict[int, str], uri: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        runreport.pyfunc.load_model(uri)
    assert message in str(caught.value)


def test_transition_with_and_without_archiving(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    moved = client.transition_model_version_stage("Shop", 3, "Production")
    assert moved.current_stage == "Production"
    assert client.get_model_version("Shop", 2).current_stage == "Production"
    client.transition_model_version_stage("Shop", 3, "STAGING")
    moved = client.transition_model_version_stage("Shop", 3, "Production", True)
    stages = {v.version: v.current_stage for v in client.search_model_versions("name = 'Shop'")}
    assert stages == {1: "Archived", 2: "Archived", 3: "Production"}
    with pytest.raises(
        InvalidParameterError, match="needs stage Staging or Production, not Archived"
    ):
        client.transition_model_version_stage("Shop", 3, "Archived", archive_existing_versions=True)
    with pytest.raises(InvalidParameterError, match="stage 'prod' is not valid; expected one of"):
        client.transition_model_version_stage("Shop", 3, "prod")
    with pytest.raises(InvalidParameterError, match="version 'x' must be a positive integer"):
        client.get_model_version("Shop", "x")


def test_registered_model_shape_and_latest_versions(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    model = client.get_registered_model("Shop")
    assert isinstance(model, RegisteredModel)
    assert model.name == "Shop" and model.description is None and model.tags == {}
    assert model.aliases == {"champion": 2}
    assert [(v.version, v.current_stage) for v in model.latest_versions] == [
        (1, "Archived"),
        (2, "Production"),
        (3, "None"),
    ]
    assert [v.version for v in client.get_latest_versions("Shop", stages=["production"])] == [2]
    assert [v.version for v in client.get_latest_versions("Shop")] == [1, 2, 3]
    champion = client.get_model_version_by_alias("Shop", "champion")
    assert (champion.version, champion.aliases) == (2, ["champion"])
    assert champion.run_id == three_versions[2]
    assert client.get_model_version_download_uri("Shop", 2) == f"runs:/{three_versions[2]}/model"


def test_aliases(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    client.set_registered_model_alias("Shop", "champion", "3")
    client.set_registered_model_alias("Shop", "challenger", 1)
    assert client.get_registered_model("Shop").aliases == {"champion": 3, "challenger": 1}
    for reserved in ("latest", "V2"):
        with pytest.raises(InvalidParameterError, match="is reserved"):
            client.set_registered_model_alias("Shop", reserved, 1)
    with pytest.raises(ResourceNotFoundError, match="version 7 of model 'Shop' does not exist"):
        client.set_registered_model_alias("Shop", "x", 7)
    client.delete_registered_model_alias("Shop", "challenger")
    client.delete_model_version("Shop", 3)  # drops the alias pointing to it, as MLflow does
    assert client.get_registered_model("Shop").aliases == {}
    assert "aliases" not in (Path.cwd() / "stages.yaml").read_text()


def test_descriptions_and_tags(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    assert client.update_registered_model("Shop", "Predicts purchases").description == (
        "Predicts purchases"
    )
    assert client.update_model_version("Shop", 2, "the champion").description == "the champion"
    client.set_registered_model_tag("Shop", "team", "growth")
    client.set_model_version_tag("Shop", 2, "validated", True)
    text = (Path.cwd() / "stages.yaml").read_text()
    assert text.startswith("models:\n  Shop:\n    description: Predicts purchases\n")
    assert "stage: Production, description: the champion, tags: {validated: 'True'}}" in text
    assert client.get_registered_model("Shop").tags == {"team": "growth"}
    client.update_model_version("Shop", 2, "")
    client.delete_model_version_tag("Shop", 2, "validated")
    client.delete_registered_model_tag("Shop", "team")
    assert client.get_model_version("Shop", 2).description is None
    assert "tags" not in (Path.cwd() / "stages.yaml").read_text()


def test_create_rename_and_delete_models(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    created = client.create_registered_model("Churn", tags={"team": "ml"}, description="d")
    assert (created.name, created.latest_versions, created.tags) == ("Churn", [], {"team": "ml"})
    with pytest.raises(ResourceExistsError, match="registered model 'Churn' already exists"):
        client.create_registered_model("Churn")
    with pytest.raises(ResourceNotFoundError, match="registered model 'Nope' does not exist"):
        client.create_model_version("Nope", f"runs:/{three_versions[1]}/model")
    version = client.create_model_version("Churn", f"runs:/{three_versions[1]}/model")
    assert version.version == 1
    renamed = client.rename_registered_model("Shop", "Store")
    assert renamed.aliases == {"champion": 2}
    assert [m.name for m in client.search_registered_models()] == ["Churn", "Store"]
    client.delete_registered_model("Churn")
    assert [m.name for m in client.search_registered_models()] == ["Store"]


def test_search(three_versions: dict[int, str]) -> None:
    client = runreport.Client()
    client.create_registered_model("Churn", tags={"team": "ml"})
    assert [m.name for m in client.search_registered_models("name LIKE 'S%'")] == ["Shop"]
    assert [m.name for m in client.search_registered_models("tags.team = 'ml'")] == ["Churn"]
    names = client.search_registered_models(order_by=["name DESC"])
    assert [m.name for m in names] == ["Shop", "Churn"]
    page = client.search_registered_models(max_results=1)
    assert [m.name for m in page] == ["Churn"] and page.token
    rest = client.search_registered_models(max_results=1, page_token=page.token)
    assert [m.name for m in rest] == ["Shop"] and rest.token is None
    found = client.search_model_versions("name = 'Shop' and version_number >= 2")
    assert [v.version for v in found] == [3, 2]
    found = client.search_model_versions(f"run_id = '{three_versions[1]}'")
    assert [(v.name, v.version) for v in found] == [("Shop", 1)]
    found = client.search_model_versions("current_stage IN ('Production', 'Archived')")
    assert sorted(v.version for v in found) == [1, 2]
    found = client.search_model_versions(order_by=["version_number ASC"], max_results=2)
    assert [v.version for v in found] == [1, 2]
    with pytest.raises(FilterSyntaxError, match="attribute 'stage' is not valid for model"):
        client.search_model_versions("stage = 'Production'")


def test_hand_edits_are_seen_at_once(three_versions: dict[int, str]) -> None:
    path = Path.cwd() / "stages.yaml"
    path.write_text(path.read_text().replace("stage: Production", "stage: Staging"))
    assert runreport.Client().get_model_version("Shop", 2).current_stage == "Staging"


def test_registry_uri_of_a_client(three_versions: dict[int, str], tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    client = runreport.Client(registry_uri=str(other))
    client.create_registered_model("Other")
    assert (other / "stages.yaml").is_file()
    assert [m.name for m in client.search_registered_models()] == ["Other"]
    by_uri = runreport.Client(registry_uri=(other / "stages.yaml").as_uri())
    assert [m.name for m in by_uri.search_registered_models()] == ["Other"]
    with pytest.raises(InvalidParameterError, match=r"registry 'sqlite:///x\.db' is not supported"):
        runreport.Client(registry_uri="sqlite:///x.db").search_registered_models()


def test_source_constants_match_the_model_package() -> None:
    from runreport.models import format, uri
    from runreport.registry import sources

    assert (sources.RUNS_SCHEME, sources.MODELS_SCHEME, sources.MLMODEL_FILE) == (
        uri.RUNS_SCHEME,
        uri.MODELS_SCHEME,
        format.MLMODEL_FILE,
    )


def test_concurrent_registrations_lose_nothing(workspace: Path) -> None:
    runreport.sklearn.save_model(LinearRegression().fit(X, X[:, 0]), workspace / "m")
    code = "import runreport\nfor _ in range(4):\n    runreport.register_model('m', 'Shop')\n"
    writers = [
        subprocess.Popen([sys.executable, "-c", code], cwd=workspace, env=python_env())
        for _ in range(3)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    versions = runreport.Client().search_model_versions("name = 'Shop'")
    assert sorted(v.version for v in versions) == list(range(1, 13))
