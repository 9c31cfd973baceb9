"""pyfunc: predict on every input kind, schema enforcement, params, and PythonModel."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression

import runreport
import runreport.pyfunc
import runreport.sklearn
from runreport.exceptions import InvalidParameterError, ResourceExistsError
from runreport.models import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature
from runreport.models.checksums import ModelIntegrityError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(6, dtype="int64"), "b": np.linspace(0.0, 1.0, 6)})


@pytest.fixture
def column_model(tmp_path: Path, frame: pd.DataFrame) -> tuple[Any, LinearRegression]:
    estimator = LinearRegression().fit(frame, frame["a"] + 10 * frame["b"])
    signature = infer_signature(frame, estimator.predict(frame))
    runreport.sklearn.save_model(estimator, tmp_path / "cols", signature=signature)
    return runreport.pyfunc.load_model(tmp_path / "cols"), estimator


@pytest.fixture
def tensor_model(tmp_path: Path) -> tuple[Any, LinearRegression]:
    X = np.arange(12.0).reshape(6, 2)
    estimator = LinearRegression().fit(X, X @ [1.0, 2.0])
    runreport.sklearn.save_model(estimator, tmp_path / "tensor", signature=infer_signature(X))
    return runreport.pyfunc.load_model(tmp_path / "tensor"), estimator


# ---------------------------------------------------------------- input kinds


def test_predict_dataframe_reorders_and_drops_extra_columns(
    column_model: Any, frame: pd.DataFrame
) -> None:
    pyfunc, estimator = column_model
    shuffled = frame[["b", "a"]].assign(extra="ignored")
    np.testing.assert_allclose(pyfunc.predict(shuffled), estimator.predict(frame))


def test_predict_dict_of_columns_and_dict_of_scalars(column_model: Any) -> None:
    pyfunc, estimator = column_model
    expected = estimator.predict(pd.DataFrame({"a": [1, 2], "b": [0.5, 0.25]}))
    np.testing.assert_allclose(pyfunc.predict({"a": [1, 2], "b": [0.5, 0.25]}), expected)
    np.testing.assert_allclose(pyfunc.predict({"b": 0.5, "a": 1}), expected[:1])


def test_predict_list_of_records(column_model: Any) -> None:
    pyfunc, estimator = column_model
    records = [{"a": 1, "b": 0.5}, {"a": 2, "b": 0.25}]
    np.testing.assert_allclose(pyfunc.predict(records), estimator.predict(pd.DataFrame(records)))


def test_predict_ndarray_on_tensor_signature(tensor_model: Any) -> None:
    pyfunc, estimator = tensor_model
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(pyfunc.predict(X), estimator.predict(X))
    np.testing.assert_allclose(pyfunc.predict(X.astype("int32")), estimator.predict(X))
    np.testing.assert_allclose(pyfunc.predict(X.tolist()), estimator.predict(X))


def test_predict_without_signature_passes_input_through(tmp_path: Path) -> None:
    X = np.arange(8.0).reshape(4, 2)
    estimator = LinearRegression().fit(X, X[:, 0])
    runreport.sklearn.save_model(estimator, tmp_path / "m")
    np.testing.assert_allclose(
        runreport.pyfunc.load_model(tmp_path / "m").predict(X), estimator.predict(X)
    )


# ---------------------------------------------------------------- enforcement


def test_missing_columns_are_named(column_model: Any, frame: pd.DataFrame) -> None:
    pyfunc, _ = column_model
    with pytest.raises(
        InvalidParameterError, match=r"missing inputs \['b'\].*extra inputs: \['c'\]"
    ):
        pyfunc.predict(frame[["a"]].assign(c=1))


def test_unsafe_conversion_names_column_and_types(column_model: Any, frame: pd.DataFrame) -> None:
    pyfunc, _ = column_model
    with pytest.raises(InvalidParameterError, match=r"column 'a'.*float64 to long"):
        pyfunc.predict(frame.assign(a=frame["a"] + 0.5))
    with pytest.raises(InvalidParameterError, match=r"column 'b'.*str to double"):
        pyfunc.predict(frame.assign(b=["x"] * len(frame)))


def test_missing_values_in_integer_column_get_a_hint(column_model: Any) -> None:
    pyfunc, _ = column_model
    with pytest.raises(InvalidParameterError, match="Hint: integer columns"):
        pyfunc.predict(pd.DataFrame({"a": [1.0, np.nan], "b": [0.1, 0.2]}))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "int64"])
def test_integers_widen_to_double(column_model: Any, frame: pd.DataFrame, dtype: str) -> None:
    pyfunc, estimator = column_model
    widened = frame.assign(a=frame["a"].astype(dtype), b=frame["a"].astype(dtype))
    expected = estimator.predict(widened.astype({"a": "int64", "b": "float64"}))
    np.testing.assert_allclose(pyfunc.predict(widened), expected)


def test_float32_widens_to_double(column_model: Any, frame: pd.DataFrame) -> None:
    pyfunc, estimator = column_model
    narrow = frame.assign(b=frame["b"].astype("float32"))
    np.testing.assert_allclose(pyfunc.predict(narrow), estimator.predict(narrow), rtol=1e-6)


def test_huge_int_to_double_is_refused(column_model: Any) -> None:
    pyfunc, _ = column_model
    with pytest.raises(InvalidParameterError, match=r"column 'b'.*int64 to double"):
        pyfunc.predict(pd.DataFrame({"a": [1], "b": [2**60]}))


def test_optional_column_may_be_missing(tmp_path: Path) -> None:
    class Echo(runreport.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
            return list(model_input.columns)

    schema = Schema([ColSpec("long", "a"), ColSpec("string", "note", required=False)])
    runreport.pyfunc.save_model(
        tmp_path / "m", python_model=Echo(), signature=ModelSignature(schema)
    )
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    assert pyfunc.predict(pd.DataFrame({"a": [1]})) == ["a"]
    assert pyfunc.predict(pd.DataFrame({"note": ["x"], "a": [1]})) == ["a", "note"]


def test_tensor_shape_and_dtype_errors(tensor_model: Any) -> None:
    pyfunc, _ = tensor_model
    with pytest.raises(InvalidParameterError, match=r"Shape of input \(2, 3\).*\(-1, 2\)"):
        pyfunc.predict(np.zeros((2, 3)))
    with pytest.raises(InvalidParameterError, match="dtype of input <U1 does not match"):
        pyfunc.predict(np.array([["a", "b"]]))


def test_named_tensors(tmp_path: Path) -> None:
    class Sum(runreport.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: dict[str, np.ndarray], params: Any = None):
            return model_input["x"].sum() + model_input["y"].sum()

    schema = Schema(
        [TensorSpec(np.dtype("float64"), (-1, 2), "x"), TensorSpec(np.dtype("int64"), (-1,), "y")]
    )
    runreport.pyfunc.save_model(
        tmp_path / "m", python_model=Sum(), signature=ModelSignature(schema)
    )
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    assert pyfunc.predict({"x": np.ones((2, 2)), "y": np.array([1, 2])}) == 7.0
    with pytest.raises(InvalidParameterError, match=r"missing inputs \['y'\]"):
        pyfunc.predict({"x": np.ones((2, 2))})


# ---------------------------------------------------------------- PythonModel


class Scaler(runreport.pyfunc.PythonModel):
    """Multiplies column 'a' by the factor read from an artifact file."""

    def load_context(self, context: runreport.pyfunc.PythonModelContext) -> None:
        self.factor = float(Path(context.artifacts["factor"]).read_text())
        self.offset = context.model_config.get("offset", 0)

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        power = (params or {}).get("power", 1)
        return (model_input["a"] * self.factor + self.offset) ** power


class NoContext(runreport.pyfunc.PythonModel):
    def predict(self, model_input: pd.DataFrame, params: Any = None) -> Any:
        return model_input["a"] * 2


def test_python_model_with_artifacts_and_params(tmp_path: Path, frame: pd.DataFrame) -> None:
    (tmp_path / "factor.txt").write_text("3")
    signature = infer_signature(frame, None, params={"power": 1})
    runreport.pyfunc.save_model(
        tmp_path / "m",
        python_model=Scaler(),
        artifacts={"factor": str(tmp_path / "factor.txt")},
        signature=signature,
        model_config={"offset": 1},
    )
    (tmp_path / "factor.txt").write_text("100")  # the model keeps its own copy
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    assert (tmp_path / "m" / "artifacts" / "factor.txt").read_text() == "3"
    assert pyfunc.predict(frame).tolist() == (frame["a"] * 3 + 1).tolist()
    assert (
        pyfunc.predict(frame, params={"power": 2}).tolist() == ((frame["a"] * 3 + 1) ** 2).tolist()
    )
    with pytest.raises(InvalidParameterError, match=r"param 'power'.*string"):
        pyfunc.predict(frame, params={"power": "two"})
    override = runreport.pyfunc.load_model(tmp_path / "m", model_config={"offset": 0})
    assert override.predict(frame).tolist() == (frame["a"] * 3).tolist()
    assert isinstance(pyfunc.unwrap_python_model(), Scaler)


def test_python_model_layout(tmp_path: Path, frame: pd.DataFrame) -> None:
    runreport.pyfunc.save_model(tmp_path / "m", python_model=NoContext(), input_example=frame)
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["cloudpickle_version"] == metadata.version("cloudpickle")
    requirements = (tmp_path / "m" / "requirements.txt").read_text().splitlines()
    assert requirements[0] == f"cloudpickle=={metadata.version('cloudpickle')}"
    assert requirements[-1].startswith("runreport")
    # the output schema was inferred by running the model on its example
    signature = runreport.pyfunc.load_model(tmp_path / "m").metadata.signature
    assert json.loads(signature.to_dict()["outputs"]) == [
        {"type": "long", "name": "a", "required": True}
    ]


def test_python_model_without_context_argument(tmp_path: Path, frame: pd.DataFrame) -> None:
    runreport.pyfunc.save_model(tmp_path / "m", python_model=NoContext())
    pyfunc = runreport.pyfunc.load_model(tmp_path / "m")
    assert pyfunc.predict(frame).tolist() == (frame["a"] * 2).tolist()


def test_python_model_pickle_is_checksummed(tmp_path: Path) -> None:
    runreport.pyfunc.save_model(tmp_path / "m", python_model=NoContext())
    (tmp_path / "m" / "python_model.pkl").write_bytes(b"not the model")
    with pytest.raises(ModelIntegrityError, match=r"python_model\.pkl has changed"):
        runreport.pyfunc.load_model(tmp_path / "m")


def test_python_model_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="python_model must be a PythonModel"):
        runreport.pyfunc.save_model(tmp_path / "a", python_model=None)
    with pytest.raises(InvalidParameterError, match="artifact 'f'"):
        runreport.pyfunc.save_model(
            tmp_path / "b", python_model=NoContext(), artifacts={"f": str(tmp_path / "nope")}
        )
    assert not (tmp_path / "b").exists()
    runreport.pyfunc.save_model(tmp_path / "c", python_model=NoContext())
    with pytest.raises(ResourceExistsError):
        runreport.pyfunc.save_model(tmp_path / "c", python_model=NoContext())


def test_pyfunc_log_model(runs_root: Path, frame: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "factor.txt").write_text("2")
    with runreport.start_run() as run:
        info = runreport.pyfunc.log_model(
            name="scaler",
            python_model=Scaler(),
            artifacts={"factor": str(tmp_path / "factor.txt")},
            input_example=frame.head(2),
        )
    assert info.model_uri == f"runs:/{run.info.run_id}/scaler"
    pyfunc = runreport.pyfunc.load_model(info.model_uri)
    assert pyfunc.predict(frame).tolist() == (frame["a"] * 2).tolist()
    assert pyfunc.metadata.run_id == run.info.run_id
