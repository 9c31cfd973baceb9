"""The sklearn flavor: model directory layout, loading, checksums, URIs and log_model."""

from __future__ import annotations

import builtins
import json
import pickle
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

import runreport
import runreport.pyfunc
import runreport.sklearn
from runreport.exceptions import (
    InvalidParameterError,
    ResourceExistsError,
    ResourceNotFoundError,
    RunReportError,
)
from runreport.models import Model, get_model_info
from runreport.models.checksums import ModelIntegrityError


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": np.arange(20, dtype="int64"), "b": rng.normal(size=20)})


@pytest.fixture
def regressor(frame: pd.DataFrame) -> LinearRegression:
    return LinearRegression().fit(frame, frame["a"] * 2.0 + frame["b"])


def _mlmodel(path: Path) -> dict[str, Any]:
    return yaml.safe_load((path / "MLmodel").read_text())


def test_save_writes_mlflows_layout(tmp_path: Path, frame: pd.DataFrame, regressor: Any) -> None:
    path = tmp_path / "model"
    runreport.sklearn.save_model(regressor, path, input_example=frame.head(2), metadata={"k": "v"})
    assert sorted(p.name for p in path.iterdir()) == [
        "MLmodel",
        "checksums.sha256",
        "conda.yaml",
        "input_example.json",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
    ]
    mlmodel = _mlmodel(path)
    assert mlmodel["flavors"]["python_function"] == {
        "loader_module": "mlflow.sklearn",
        "model_path": "model.pkl",
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "python_version": platform.python_version(),
        "predict_fn": "predict",
    }
    assert mlmodel["flavors"]["sklearn"] == {
        "pickled_model": "model.pkl",
        "sklearn_version": metadata.version("scikit-learn"),
        "serialization_format": "cloudpickle",
        "code": None,
    }
    assert len(mlmodel["model_uuid"]) == 32
    assert mlmodel["metadata"] == {"k": "v"}
    assert "run_id" not in mlmodel and "mlflow_version" not in mlmodel
    assert json.loads(mlmodel["signature"]["inputs"])[0] == {
        "type": "long",
        "name": "a",
        "required": True,
    }
    assert json.loads(mlmodel["signature"]["outputs"])[0]["type"] == "tensor"


def test_input_example_files(tmp_path: Path, frame: pd.DataFrame, regressor: Any) -> None:
    example = frame.head(2)
    runreport.sklearn.save_model(regressor, tmp_path / "m", input_example=example)
    split = {"columns": ["a", "b"], "data": [[0, example["b"][0]], [1, example["b"][1]]]}
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == split
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert serving == {"dataframe_split": split}
    assert _mlmodel(tmp_path / "m")["saved_input_example_info"] == {
        "artifact_path": "input_example.json",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
    }
    loaded = Model.load(tmp_path / "m").load_input_example(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded, example)


def test_ndarray_example_is_saved_as_inputs(tmp_path: Path) -> None:
    X = np.arange(12.0).reshape(6, 2)
    model = LinearRegression().fit(X, X.sum(axis=1))
    runreport.sklearn.save_model(model, tmp_path / "m", input_example=X[:2])
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == [[0, 1], [2, 3]]
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert serving == {"inputs": [[0.0, 1.0], [2.0, 3.0]]}
    assert Model.load(tmp_path / "m").signature.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}
    ]


def test_requirements_are_pinned(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    lines = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    expected = ["cloudpickle", "numpy", "pandas", "scikit-learn", "scipy"]
    assert lines == [f"{name}=={metadata.version(name)}" for name in expected]
    env = yaml.safe_load((tmp_path / "m" / "python_env.yaml").read_text())
    assert env["python"] == platform.python_version()
    assert env["dependencies"] == ["-r requirements.txt"]
    conda = yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": lines}


def test_requirement_overrides(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "a", extra_pip_requirements=["mlflow"])
    assert (tmp_path / "a" / "requirements.txt").read_text().splitlines()[-1] == "mlflow"
    runreport.sklearn.save_model(regressor, tmp_path / "b", pip_requirements=["scikit-learn"])
    assert (tmp_path / "b" / "requirements.txt").read_text() == "scikit-learn"
    with pytest.raises(InvalidParameterError, match="at most one"):
        runreport.sklearn.save_model(
            regressor, tmp_path / "c", pip_requirements=["x"], extra_pip_requirements=["y"]
        )
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "estimator",
    [LinearRegression(), RandomForestRegressor(n_estimators=5, random_state=0)],
    ids=["linear", "forest"],
)
@pytest.mark.parametrize("serialization_format", ["cloudpickle", "pickle"])
def test_load_model_predicts_the_same(
    tmp_path: Path, frame: pd.DataFrame, estimator: Any, serialization_format: str
) -> None:
    estimator.fit(frame, frame["a"] * 0.5)
    runreport.sklearn.save_model(
        estimator, tmp_path / "m", serialization_format=serialization_format
    )
    loaded = runreport.sklearn.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(frame), estimator.predict(frame))
    pyfunc = runreport.pyfunc.load_model((tmp_path / "m").as_uri())
    np.testing.assert_allclose(pyfunc.predict(frame), estimator.predict(frame))
    assert pyfunc.loader_module == "mlflow.sklearn"


def test_classifier_with_predict_proba(tmp_path: Path, frame: pd.DataFrame) -> None:
    labels = (frame["b"] > 0).astype(int)
    clf = LogisticRegression().fit(frame, labels)
    runreport.sklearn.save_model(clf, tmp_path / "m", pyfunc_predict_fn="predict_proba")
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(pyfunc.predict(frame), clf.predict_proba(frame))
    assert isinstance(pyfunc.get_raw_model(), LogisticRegression)


def test_dst_path_copies_the_model(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    runreport.sklearn.load_model(str(tmp_path / "m"), dst_path=str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "m" / "model.pkl").is_file()


def test_save_refuses_existing_non_empty_path(tmp_path: Path, regressor: Any) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "other.txt").write_text("x")
    with pytest.raises(ResourceExistsError, match="not an empty directory"):
        runreport.sklearn.save_model(regressor, tmp_path / "m")
    runreport.sklearn.save_model(regressor, tmp_path / "empty")
    assert (tmp_path / "empty" / "MLmodel").is_file()


def test_bad_arguments_write_nothing(tmp_path: Path, regressor: Any) -> None:
    with pytest.raises(InvalidParameterError, match="'joblib' is not supported"):
        runreport.sklearn.save_model(regressor, tmp_path / "a", serialization_format="joblib")
    with pytest.raises(InvalidParameterError, match="metadata must be a dict"):
        runreport.sklearn.save_model(regressor, tmp_path / "b", metadata=["x"])
    with pytest.raises(InvalidParameterError, match="signature must be a ModelSignature"):
        runreport.sklearn.save_model(regressor, tmp_path / "c", signature="inputs")
    assert list(tmp_path.iterdir()) == []


def test_checksums_cover_every_file(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    lines = (tmp_path / "m" / "checksums.sha256").read_text().splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(
        p.name for p in (tmp_path / "m").iterdir() if p.name != "checksums.sha256"
    )
    assert all(len(line.split("  ", 1)[0]) == 64 for line in lines)


def test_swapped_pickle_is_refused(tmp_path: Path, frame: pd.DataFrame, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    other = LinearRegression().fit(frame, frame["b"])
    (tmp_path / "m" / "model.pkl").write_bytes(pickle.dumps(other))
    for load in (runreport.sklearn.load_model, runreport.pyfunc.load_model):
        with pytest.raises(ModelIntegrityError, match=r"model\.pkl has changed") as caught:
            load(str(tmp_path / "m"))
        assert caught.value.message.count("expected") == 1
        assert "found" in caught.value.message


def test_edited_mlmodel_pointing_to_another_file_is_refused(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "evil.pkl").write_bytes(pickle.dumps(regressor))
    lines = (tmp_path / "m" / "checksums.sha256").read_text().splitlines()
    kept = [line for line in lines if not line.endswith("  MLmodel")]
    (tmp_path / "m" / "checksums.sha256").write_text("\n".join(kept) + "\n")
    mlmodel = (tmp_path / "m" / "MLmodel").read_text().replace("model.pkl", "evil.pkl")
    (tmp_path / "m" / "MLmodel").write_text(mlmodel)
    with pytest.raises(ModelIntegrityError, match=r"evil\.pkl: it is not listed"):
        runreport.sklearn.load_model(str(tmp_path / "m"))


def test_missing_model_file_is_reported(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "conda.yaml").unlink()
    with pytest.raises(ModelIntegrityError, match=r"conda\.yaml is listed .* but missing"):
        runreport.pyfunc.load_model(tmp_path / "m")


def test_model_without_checksums_loads(tmp_path: Path, frame: pd.DataFrame, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "checksums.sha256").unlink()
    loaded = runreport.sklearn.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(frame), regressor.predict(frame))


def test_file_outside_the_model_is_never_loaded(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "checksums.sha256").unlink()
    mlmodel = (tmp_path / "m" / "MLmodel").read_text().replace("model.pkl", "../x.pkl")
    (tmp_path / "m" / "MLmodel").write_text(mlmodel)
    with pytest.raises(InvalidParameterError, match="outside the model directory"):
        runreport.sklearn.load_model(str(tmp_path / "m"))


def test_unknown_loader_module_is_refused(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "checksums.sha256").unlink()
    text = (tmp_path / "m" / "MLmodel").read_text().replace("mlflow.sklearn", "os")
    (tmp_path / "m" / "MLmodel").write_text(text)
    with pytest.raises(InvalidParameterError, match="loader_module 'os'"):
        runreport.pyfunc.load_model(tmp_path / "m")


def test_skops_without_skops_installed_says_what_to_do(
    tmp_path: Path, regressor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    (tmp_path / "m" / "checksums.sha256").unlink()
    text = (tmp_path / "m" / "MLmodel").read_text()
    (tmp_path / "m" / "MLmodel").write_text(text.replace("cloudpickle", "skops"))
    real_import = builtins.__import__

    def no_skops(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("skops"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_skops)
    with pytest.raises(InvalidParameterError, match=r"'skops' format .* install skops"):
        runreport.sklearn.load_model(str(tmp_path / "m"))


def test_missing_model_lists_what_exists(tmp_path: Path, regressor: Any) -> None:
    runreport.sklearn.save_model(regressor, tmp_path / "m")
    with pytest.raises(ResourceNotFoundError, match=r"no directory .*nope.* holds: m"):
        runreport.pyfunc.load_model(tmp_path / "nope")
    (tmp_path / "m" / "MLmodel").unlink()
    with pytest.raises(ResourceNotFoundError, match=r"has no MLmodel file.*model\.pkl"):
        runreport.sklearn.load_model(str(tmp_path / "m"))


def test_registry_uris_need_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "runreport.registry", None)
    with pytest.raises(InvalidParameterError, match="models:/ URIs need"):
        runreport.pyfunc.load_model("models:/churn/1")


def test_other_schemes_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="scheme 's3'"):
        runreport.sklearn.load_model("s3://bucket/model")


# ---------------------------------------------------------------- through the tracking API


def test_log_model_into_the_active_run(
    runs_root: Path, frame: pd.DataFrame, regressor: Any
) -> None:
    with runreport.start_run() as run:
        info = runreport.sklearn.log_model(regressor, "model", input_example=frame.head(3))
    run_id = run.info.run_id
    assert info.model_uri == f"runs:/{run_id}/model"
    assert (info.run_id, info.artifact_path, info.registered_model_version) == (
        run_id,
        "model",
        None,
    )
    assert info.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert info.signature.inputs.input_names() == ["a", "b"]
    mlmodel = Model.load(info.model_uri)
    assert (mlmodel.run_id, mlmodel.artifact_path, mlmodel.model_uuid) == (
        run_id,
        "model",
        info.model_uuid,
    )
    loaded = runreport.sklearn.load_model(info.model_uri)
    np.testing.assert_allclose(loaded.predict(frame), regressor.predict(frame))
    pyfunc = runreport.pyfunc.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(pyfunc.predict(frame), regressor.predict(frame))
    assert get_model_info(info.model_uri).model_uuid == info.model_uuid


def test_log_model_history_tag_appends(runs_root: Path, regressor: Any) -> None:
    with runreport.start_run() as run:
        first = runreport.sklearn.log_model(regressor, "one")
        second = runreport.sklearn.log_model(regressor, name="nested/two")
    history = json.loads(runreport.get_run(run.info.run_id).data.tags["mlflow.log-model.history"])
    assert [h["artifact_path"] for h in history] == ["one", "nested/two"]
    assert [h["model_uuid"] for h in history] == [first.model_uuid, second.model_uuid]
    assert set(history[0]) == {
        "run_id",
        "artifact_path",
        "utc_time_created",
        "flavors",
        "model_uuid",
    }
    assert runreport.sklearn.load_model(second.model_uri) is not None


def test_log_model_starts_a_run_when_none_is_active(runs_root: Path, regressor: Any) -> None:
    assert runreport.active_run() is None
    info = runreport.sklearn.log_model(regressor, name="model")
    assert runreport.active_run().info.run_id == info.run_id
    runreport.end_run()


def test_log_model_argument_errors(runs_root: Path, regressor: Any) -> None:
    with pytest.raises(InvalidParameterError, match="needs name"):
        runreport.sklearn.log_model(regressor)
    with pytest.raises(InvalidParameterError, match="disagree"):
        runreport.sklearn.log_model(regressor, "a", name="b")
    with pytest.raises(InvalidParameterError, match=r"without '\.\.'"):
        runreport.sklearn.log_model(regressor, "../escape")


def test_registered_model_name_without_registry(
    runs_root: Path, regressor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "runreport.registry", None)
    with runreport.start_run() as run, pytest.raises(RunReportError, match="needs runreport's"):
        runreport.sklearn.log_model(regressor, "model", registered_model_name="churn")
    assert runreport.sklearn.load_model(f"runs:/{run.info.run_id}/model") is not None


def test_runs_uri_errors_name_what_exists(runs_root: Path, regressor: Any) -> None:
    with runreport.start_run() as run:
        runreport.sklearn.log_model(regressor, "model")
    with pytest.raises(ResourceNotFoundError, match=r"no artifact folder 'other'.*are: model"):
        runreport.pyfunc.load_model(f"runs:/{run.info.run_id}/other")
    with pytest.raises(ResourceNotFoundError, match="runs:/0123abcd"):
        runreport.pyfunc.load_model("runs:/0123abcd/model")
    with pytest.raises(InvalidParameterError, match="no run id"):
        runreport.pyfunc.load_model("runs:/")


def test_history_tag_stays_under_the_tag_limit() -> None:
    from runreport.models.tracking import MAX_TAG_VALUE_LENGTH, history_value

    big = {"run_id": "r", "artifact_path": "m", "signature": {"inputs": "x" * 3000}}
    value = None
    for number in range(5):
        value = history_value(value, {**big, "artifact_path": f"m{number}"})
    entries = json.loads(value)
    assert len(value) <= MAX_TAG_VALUE_LENGTH
    assert entries[-1]["artifact_path"] == "m4" and len(entries) == 2
