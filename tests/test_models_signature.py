"""Signatures: inference for each dtype, JSON form, and round-trip through MLmodel."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import runreport.sklearn
from runreport.exceptions import InvalidParameterError
from runreport.models import (
    ColSpec,
    DataType,
    Model,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)
from runreport.models.signature import infer_signature as infer_from_signature_module


def _inputs(data: object) -> list[dict[str, object]]:
    return json.loads(infer_signature(data).to_dict()["inputs"])


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (np.array([1, 2], dtype="int64"), "long"),
        (np.array([1, 2], dtype="int32"), "integer"),
        (np.array([1, 2], dtype="int8"), "integer"),
        (np.array([1, 2], dtype="uint16"), "integer"),
        (np.array([1, 2], dtype="uint32"), "long"),
        (np.array([1.5, 2.5], dtype="float64"), "double"),
        (np.array([1.5, 2.5], dtype="float32"), "float"),
        (np.array([True, False]), "boolean"),
        (pd.Series(["a", "b"]), "string"),  # pandas 3's default str dtype
        (pd.Series(["a", "b"], dtype=object), "string"),
        (pd.Series([b"a", b"b"], dtype=object), "binary"),
        (pd.to_datetime(["2020-01-01", "2020-01-02"]), "datetime"),
        (pd.array([1, 2], dtype="Int64"), "long"),
    ],
)
def test_dataframe_column_types(column: object, expected: str) -> None:
    assert _inputs(pd.DataFrame({"x": column})) == [
        {"type": expected, "name": "x", "required": True}
    ]


def test_missing_values_make_a_column_optional() -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan], "s": ["a", None], "n": [1.0, 2.0]})
    assert [(c["name"], c["required"]) for c in _inputs(frame)] == [
        ("x", False),
        ("s", False),
        ("n", True),
    ]


def test_dataframe_json_is_mlflows_string() -> None:
    frame = pd.DataFrame({"a": np.array([1], dtype="int64"), "b": [0.5]})
    signature = infer_signature(frame, np.array([0.1]))
    assert signature.to_dict() == {
        "inputs": '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "double", "name": "b", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
        "params": None,
    }


def test_numpy_arrays_give_tensor_specs_with_batch_dimension() -> None:
    assert _inputs(np.zeros((3, 4), dtype="float32")) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}
    ]
    assert _inputs(np.array(["a", "b"])) == [
        {"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}
    ]


def test_dict_of_arrays_gives_named_tensors() -> None:
    data = {"img": np.zeros((2, 3, 3), dtype="uint8"), "ids": np.ones(2, dtype="int32")}
    assert _inputs(data) == [
        {"name": "img", "type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 3, 3]}},
        {"name": "ids", "type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}},
    ]


def test_dicts_lists_series_and_scalars() -> None:
    assert [c["type"] for c in _inputs({"a": 1, "b": "x", "c": 1.5})] == [
        "long",
        "string",
        "double",
    ]
    assert [c["name"] for c in _inputs([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])] == ["a", "b"]
    assert _inputs({"a": [1, 2], "b": [0.5, 1.5]})[1] == {
        "type": "double",
        "name": "b",
        "required": True,
    }
    assert _inputs(pd.Series([1.0, 2.0], name="y")) == [
        {"type": "double", "name": "y", "required": True}
    ]
    assert _inputs(["a", "b"]) == [{"type": "string", "required": True}]
    assert _inputs("hello") == [{"type": "string", "required": True}]


def test_output_kinds() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    assert infer_signature(frame, pd.Series([1.0, 2.0])).outputs == Schema([ColSpec("double")])
    assert infer_signature(frame, [1, 2]).outputs == Schema([ColSpec(DataType.long)])
    assert infer_signature(frame).outputs is None


def test_params_inference_and_json() -> None:
    params = {
        "temperature": 0.5,
        "n": 3,
        "name": "x",
        "flag": True,
        "ids": [1, 2],
        "when": dt.datetime(2020, 1, 1),
    }
    signature = infer_signature(pd.DataFrame({"a": [1]}), None, params=params)
    assert json.loads(signature.to_dict()["params"]) == [
        {"name": "temperature", "default": 0.5, "shape": None, "type": "double"},
        {"name": "n", "default": 3, "shape": None, "type": "long"},
        {"name": "name", "default": "x", "shape": None, "type": "string"},
        {"name": "flag", "default": True, "shape": None, "type": "boolean"},
        {"name": "ids", "default": [1, 2], "shape": [-1], "type": "long"},
        {"name": "when", "default": "2020-01-01T00:00:00", "shape": None, "type": "datetime"},
    ]
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_param_spec_validation() -> None:
    spec = ParamSpec("k", "double", 1.0)
    assert spec.validate(2) == 2.0  # int widens to double
    with pytest.raises(InvalidParameterError, match=r"param 'k'.*string.*double"):
        spec.validate("high")
    with pytest.raises(InvalidParameterError, match="repeated"):
        ParamSchema([spec, ParamSpec("k", "long", 1)])


def test_round_trip_through_dict_keeps_every_kind() -> None:
    signature = ModelSignature(
        Schema([ColSpec("long", "a"), ColSpec("string", "b", required=False)]),
        Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
        ParamSchema([ParamSpec("top_k", DataType.long, 5)]),
    )
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_unknown_mlflow_types_round_trip_unchanged() -> None:
    raw = '[{"type": "array", "items": {"type": "long"}, "name": "a", "required": true}]'
    signature = ModelSignature.from_dict({"inputs": raw, "outputs": None})
    assert signature.to_dict()["inputs"] == raw


def test_signature_round_trips_through_mlmodel(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "i": np.arange(4, dtype="int64"),
            "f": np.linspace(0, 1, 4).astype("float32"),
            "s": ["a", "b", "c", "d"],
            "when": pd.date_range("2024-01-01", periods=4),
        }
    )
    numeric = frame[["i", "f"]]
    model = LinearRegression().fit(numeric, np.arange(4.0))
    signature = infer_signature(frame, model.predict(numeric), params={"alpha": 0.1})
    runreport.sklearn.save_model(model, tmp_path / "m", signature=signature)
    loaded = Model.load(tmp_path / "m")
    assert loaded.signature == signature
    assert loaded.get_input_schema().input_names() == ["i", "f", "s", "when"]
    assert Model.load(tmp_path / "m" / "MLmodel").signature == signature


def test_tutorial_import_path() -> None:
    assert infer_from_signature_module is infer_signature


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pd.DataFrame({"big": np.array([1], dtype="uint64")}), "column 'big' has dtype uint64"),
        (pd.DataFrame({"mix": pd.Series([1, "a"], dtype=object)}), "column 'mix' holds values"),
        ([], "empty list"),
        ({"k": object()}, "cannot be"),
        (object(), "cannot infer a schema from object"),
    ],
)
def test_inference_errors_name_the_problem(data: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        infer_signature(data)


def test_schema_refuses_mixed_specs() -> None:
    with pytest.raises(InvalidParameterError, match="not both"):
        Schema([ColSpec("long", "a"), TensorSpec(np.dtype("int64"), (-1,), "b")])
    with pytest.raises(InvalidParameterError, match="every spec"):
        Schema([ColSpec("long", "a"), ColSpec("long")])
    with pytest.raises(InvalidParameterError, match="expected one of boolean, integer"):
        ColSpec("decimal", "a")
