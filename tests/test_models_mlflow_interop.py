"""Cross-loading with real MLflow: each tool loads the other's models and predicts the same.

MLflow is a test peer only (runreport never imports it). These tests skip when mlflow is not
installed, except in CI (``CI=true``), where a missing mlflow is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

import runreport.pyfunc
import runreport.sklearn
from runreport.exceptions import InvalidParameterError
from runreport.models import Model, infer_signature
from tests.conftest import import_mlflow

mlflow = import_mlflow("pyfunc", "sklearn")

# MLflow's own warnings (its integer-column hint, pandas deprecations inside mlflow) are noise here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*Add type hints to the `predict` method:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow"),
]


@pytest.fixture(autouse=True)
def _mlflow_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())


# Given requirements spare MLflow its slow (subprocess) requirement inference.
REQS = ["scikit-learn", "cloudpickle"]


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"a": np.arange(30, dtype="int64"), "b": rng.normal(size=30)})


@pytest.fixture
def forest(frame: pd.DataFrame) -> RandomForestRegressor:
    model = RandomForestRegressor(n_estimators=5, random_state=0)
    return model.fit(frame, frame["a"] * 0.3 + frame["b"])


# ---------------------------------------------------------------- runreport saves, MLflow loads


@pytest.mark.parametrize("serialization_format", ["cloudpickle", "pickle"])
def test_mlflow_loads_runreport_sklearn_model(
    tmp_path: Path, frame: pd.DataFrame, forest: Any, serialization_format: str
) -> None:
    path = tmp_path / "m"
    runreport.sklearn.save_model(
        forest, path, serialization_format=serialization_format, input_example=frame.head(3)
    )
    expected = forest.predict(frame)
    np.testing.assert_allclose(mlflow.pyfunc.load_model(str(path)).predict(frame), expected)
    np.testing.assert_allclose(mlflow.sklearn.load_model(str(path)).predict(frame), expected)
    theirs = mlflow.models.Model.load(str(path))
    assert theirs.signature.to_dict() == Model.load(path).signature.to_dict()
    assert theirs.model_uuid == Model.load(path).model_uuid
    example = theirs.load_input_example(str(path))
    pd.testing.assert_frame_equal(example, frame.head(3), check_dtype=False)


def test_mlflow_enforces_runreport_signature(tmp_path: Path, frame: pd.DataFrame) -> None:
    model = LinearRegression().fit(frame, frame["b"])
    runreport.sklearn.save_model(model, tmp_path / "m", signature=infer_signature(frame))
    with pytest.raises(mlflow.exceptions.MlflowException, match="missing inputs"):
        mlflow.pyfunc.load_model(str(tmp_path / "m")).predict(frame[["a"]])


def test_mlflow_loads_runreport_python_model(tmp_path: Path, frame: pd.DataFrame) -> None:
    class Shift(runreport.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            self.shift = float(Path(context.artifacts["shift"]).read_text())

        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            scale = (params or {}).get("scale", 1.0)
            return (model_input["b"] + self.shift) * scale

    (tmp_path / "shift.txt").write_text("5")
    signature = infer_signature(frame, None, params={"scale": 1.0})
    runreport.pyfunc.save_model(
        tmp_path / "m",
        python_model=Shift(),
        artifacts={"shift": str(tmp_path / "shift.txt")},
        signature=signature,
    )
    theirs = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    ours = runreport.pyfunc.load_model(tmp_path / "m")
    for params in (None, {"scale": 2.0}):
        np.testing.assert_allclose(
            theirs.predict(frame, params=params), ours.predict(frame, params=params)
        )
    np.testing.assert_allclose(ours.predict(frame), frame["b"] + 5)


# ---------------------------------------------------------------- MLflow saves, runreport loads


@pytest.mark.parametrize("serialization_format", [None, "cloudpickle", "pickle"])
def test_runreport_loads_mlflow_sklearn_model(
    tmp_path: Path, frame: pd.DataFrame, serialization_format: str | None
) -> None:
    model = LinearRegression().fit(frame, frame["a"] - frame["b"])
    kwargs = {"serialization_format": serialization_format} if serialization_format else {}
    mlflow.sklearn.save_model(
        model, str(tmp_path / "m"), input_example=frame.head(2), pip_requirements=REQS, **kwargs
    )
    if serialization_format is None:  # MLflow 3's default
        assert (tmp_path / "m" / "model.skops").is_file()
    expected = model.predict(frame)
    np.testing.assert_allclose(runreport.pyfunc.load_model(tmp_path / "m").predict(frame), expected)
    loaded = runreport.sklearn.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(frame), expected)


def test_runreport_loads_mlflow_forest_and_classifier(
    tmp_path: Path, frame: pd.DataFrame, forest: Any
) -> None:
    mlflow.sklearn.save_model(
        forest, str(tmp_path / "forest"), serialization_format="cloudpickle", pip_requirements=REQS
    )
    labels = (frame["b"] > 0).astype(int)
    clf = LogisticRegression().fit(frame, labels)
    mlflow.sklearn.save_model(
        clf,
        str(tmp_path / "clf"),
        serialization_format="pickle",
        pyfunc_predict_fn="predict_proba",
        pip_requirements=REQS,
    )
    forest_pyfunc = runreport.pyfunc.load_model(tmp_path / "forest")
    np.testing.assert_allclose(forest_pyfunc.predict(frame), forest.predict(frame))
    clf_pyfunc = runreport.pyfunc.load_model(tmp_path / "clf")
    np.testing.assert_allclose(clf_pyfunc.predict(frame), clf.predict_proba(frame))


def test_runreport_enforces_mlflow_signature(tmp_path: Path, frame: pd.DataFrame) -> None:
    model = LinearRegression().fit(frame, frame["b"])
    signature = mlflow.models.infer_signature(frame, model.predict(frame))
    mlflow.sklearn.save_model(
        model, str(tmp_path / "m"), signature=signature, pip_requirements=REQS
    )
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    with pytest.raises(InvalidParameterError, match=r"missing inputs \['b'\]"):
        pyfunc.predict(frame[["a"]])
    with pytest.raises(InvalidParameterError, match=r"column 'a'.*float64 to long"):
        pyfunc.predict(frame.assign(a=frame["a"] * 0.5))


def test_runreport_loads_mlflow_python_model(tmp_path: Path, frame: pd.DataFrame) -> None:
    class Offset(mlflow.pyfunc.PythonModel):
        def load_context(self, context: Any) -> None:
            self.offset = float(Path(context.artifacts["offset"]).read_text())

        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            return model_input["a"] + self.offset

    (tmp_path / "offset.txt").write_text("0.5")
    mlflow.pyfunc.save_model(
        str(tmp_path / "m"),
        python_model=Offset(),
        artifacts={"offset": str(tmp_path / "offset.txt")},
        input_example=frame.head(2),
        pip_requirements=REQS,
    )
    ours = runreport.pyfunc.load_model(tmp_path / "m")
    theirs = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(ours.predict(frame), theirs.predict(frame))
    np.testing.assert_allclose(ours.predict(frame), frame["a"] + 0.5)
    assert ours.loader_module == "mlflow.pyfunc.model"


# ---------------------------------------------------------------- the same signatures


def _signature_cases() -> dict[str, tuple[Any, Any, Any]]:
    frame = pd.DataFrame(
        {
            "i64": np.array([1, 2], dtype="int64"),
            "i32": np.array([1, 2], dtype="int32"),
            "f64": [1.0, np.nan],
            "f32": np.array([1, 2], dtype="float32"),
            "flag": [True, False],
            "text": ["a", "b"],
            "obj": pd.Series(["a", None], dtype=object),
            "raw": [b"a", b"b"],
            "when": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "small": np.array([1, 2], dtype="uint8"),
        }
    )
    return {
        "dataframe": (frame, np.array([0.1, 0.2]), None),
        "ndarray": (np.zeros((3, 4), dtype="float32"), None, None),
        "dict_of_arrays": ({"x": np.zeros((2, 3)), "y": np.ones(2, dtype="int32")}, None, None),
        "records": ([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], [1.0, 2.0], None),
        "params": (frame[["i64"]], pd.Series([0.5, 0.7]), {"k": 3, "t": 0.1, "s": "x"}),
    }


def _spark_without_connect() -> bool:
    import importlib.util

    return (
        importlib.util.find_spec("pyspark") is not None and importlib.util.find_spec("grpc") is None
    )


@pytest.mark.parametrize("case", sorted(_signature_cases()))
def test_infer_signature_matches_mlflow(case: str) -> None:
    if case == "records" and _spark_without_connect():
        pytest.skip(
            "MLflow infers list outputs as 'any' when pyspark is installed without its connect "
            "extras (grpc): pyspark's import fails inside MLflow's type checks"
        )
    model_input, model_output, params = _signature_cases()[case]
    ours = infer_signature(model_input, model_output, params=params).to_dict()
    theirs = mlflow.models.infer_signature(model_input, model_output, params=params).to_dict()
    assert ours == theirs
    for key in ("inputs", "outputs", "params"):
        if ours[key] is not None:
            assert json.loads(ours[key]) == json.loads(theirs[key])
