"""MLflow's scoring protocol in-process: content types, payload shapes, wire types, answers."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import runreport.pyfunc
from runreport.exceptions import InvalidParameterError
from runreport.models import ColSpec, Schema, TensorSpec
from runreport.serving.coercion import coerce_input
from runreport.serving.errors import BadRequestError, UnsupportedMediaTypeError
from runreport.serving.protocol import (
    decode_json,
    media_type,
    parse_body,
    parse_json_payload,
    predictions_json,
)
from runreport.serving.scoring import Scorer
from tests.test_serving_support import need, save_purchase_model, save_slow_model

COLUMNS = Schema([ColSpec("long", "a"), ColSpec("double", "b"), ColSpec("string", "s")])
TENSOR = Schema([TensorSpec(np.dtype("float64"), (-1, 2))])


# ---------------------------------------------------------------- content types


@pytest.mark.parametrize(
    "header",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON;charset=UTF-8"],
)
def test_json_content_types_are_accepted(header: str) -> None:
    assert media_type(header) == "application/json"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "no Content-Type"),
        ("text/plain", "not supported"),
        ("application/json; charset=latin-1", "only supports UTF-8"),
        ("text/csv; format=pandas-split", "parameter 'format'"),
    ],
)
def test_other_content_types_are_415(header: str | None, reason: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError, match=reason) as caught:
        media_type(header)
    assert caught.value.status == 415


# ---------------------------------------------------------------- JSON payloads


def test_dataframe_split_with_columns_and_index() -> None:
    payload = {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 0.5]], "index": [7]}}
    frame = parse_json_payload(payload, None).data
    assert list(frame.columns) == ["a", "b"] and list(frame.index) == [7]


def test_dataframe_records_and_params() -> None:
    parsed = parse_json_payload(
        {"dataframe_records": [{"a": 1}, {"a": 2}], "params": {"k": 1}}, None
    )
    assert parsed.data["a"].tolist() == [1, 2] and parsed.params == {"k": 1}


def test_instances_of_records_become_columns() -> None:
    frame = parse_json_payload(
        {"instances": [{"a": 1, "s": "x"}, {"a": 2, "s": "y"}]}, COLUMNS
    ).data
    assert frame.to_dict("list") == {"a": [1, 2], "s": ["x", "y"]}


def test_instances_with_a_missing_field_are_refused() -> None:
    with pytest.raises(BadRequestError, match=r"not the same.*\['s'\]"):
        parse_json_payload({"instances": [{"a": 1, "s": "x"}, {"a": 2}]}, COLUMNS)


def test_inputs_as_columns_as_records_and_as_one_row() -> None:
    columns = parse_json_payload({"inputs": {"a": [1, 2], "b": [0.5, 1.5]}}, COLUMNS).data
    records = parse_json_payload({"inputs": [{"a": 1}, {"a": 2}]}, COLUMNS).data
    row = parse_json_payload({"inputs": {"a": 1, "b": 0.5}}, COLUMNS).data
    assert columns["b"].tolist() == [0.5, 1.5] and records["a"].tolist() == [1, 2]
    assert len(row) == 1


def test_tensor_inputs_become_arrays() -> None:
    for key in ("instances", "inputs"):
        array = parse_json_payload({key: [[1, 2], [3, 4]]}, TENSOR).data
        assert isinstance(array, np.ndarray) and array.dtype == np.float64


def test_one_named_column_takes_a_plain_list() -> None:
    schema = Schema([ColSpec("double", "x")])
    assert parse_json_payload({"inputs": [1.0, 2.0]}, schema).data["x"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([{"a": 1}], "Received a list"),
        ("text", "Received str"),
        ({}, r"exactly one of.*Received an object with fields \[\]"),
        ({"data": [1]}, r"fields \['data'\]"),
        ({"inputs": [1], "instances": [1]}, r"fields \['inputs', 'instances'\]"),
        ({"dataframe_split": [[1]]}, "must be an object"),
        ({"dataframe_split": {"columns": ["a"]}}, "must have a 'data' field"),
        ({"dataframe_split": {"data": [[1]], "dtype": "x"}}, "must have a 'data' field"),
        ({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}, "cannot be read"),
        ({"dataframe_records": {"a": 1}}, "must be a list of records"),
        ({"instances": [[1, 2], [3]]}, "cannot be read"),
    ],
)
def test_malformed_payloads_are_bad_requests(payload: Any, reason: str) -> None:
    with pytest.raises(BadRequestError, match=reason) as caught:
        parse_json_payload(payload, TENSOR if "instances" in str(payload) else None)
    assert caught.value.status == 400 and caught.value.error_code == "BAD_REQUEST"


def test_invalid_json_and_invalid_utf8_are_bad_requests() -> None:
    with pytest.raises(BadRequestError, match=r"valid JSON.*'\{\"a\": '"):
        decode_json(b'{"a": ')
    with pytest.raises(BadRequestError, match="not valid UTF-8"):
        decode_json(b'{"a": "\xff"}')


# ---------------------------------------------------------------- wire types


def test_wire_numbers_fit_narrow_signature_types() -> None:
    schema = Schema([ColSpec("integer", "i"), ColSpec("float", "f"), ColSpec("long", "n")])
    frame = pd.DataFrame({"i": [1.0, 2.0], "f": [0.5, 1], "n": [1.5, 2.0]})
    out = coerce_input(frame, schema, decode_binary=True)
    assert (out["i"].dtype, out["f"].dtype) == (np.int32, np.float32)
    assert out["n"].dtype == np.float64  # 1.5 is no long: left for the signature check


def test_out_of_range_integers_are_left_for_the_signature_check() -> None:
    frame = pd.DataFrame({"i": [2**40]})
    out = coerce_input(frame, Schema([ColSpec("integer", "i")]), decode_binary=True)
    assert out["i"].dtype == np.int64


def test_binary_columns_are_base64_and_datetimes_iso() -> None:
    schema = Schema([ColSpec("binary", "blob"), ColSpec("datetime", "when")])
    frame = pd.DataFrame({"blob": [base64.b64encode(b"hi").decode()], "when": ["2024-05-01T12:30"]})
    out = coerce_input(frame, schema, decode_binary=True)
    assert out["blob"][0] == b"hi" and out["when"][0] == pd.Timestamp("2024-05-01 12:30")
    with pytest.raises(InvalidParameterError, match=r"column 'blob'.*base64"):
        coerce_input(frame.assign(blob=["%%%"]), schema, decode_binary=True)
    with pytest.raises(InvalidParameterError, match=r"column 'when'.*ISO 8601"):
        coerce_input(frame.assign(when=["not a date"]), schema, decode_binary=True)


def test_float32_tensors_take_json_numbers() -> None:
    schema = Schema([TensorSpec(np.dtype("float32"), (-1, 2))])
    array = parse_json_payload({"inputs": [[1.5, 2.5]]}, schema).data
    assert array.dtype == np.float32


def test_csv_keeps_string_columns_as_text() -> None:
    body = b"a,b,s\n1,0.5,007\n2,1.5,010\n"
    frame = parse_body(body, "text/csv", COLUMNS).data
    assert frame["s"].tolist() == ["007", "010"] and frame["a"].dtype == np.int64


@pytest.mark.parametrize("body", [b"", b'a,b\n1,2,3,4\n"x'])
def test_unreadable_csv_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequestError, match="CSV"):
        parse_body(body, "text/csv", None)


def test_parquet_body() -> None:
    need("pyarrow")
    buffer = io.BytesIO()
    pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}).to_parquet(buffer)
    frame = parse_body(buffer.getvalue(), "application/vnd.apache.parquet", None).data
    assert frame["a"].tolist() == [1, 2]
    with pytest.raises(BadRequestError, match="Parquet"):
        parse_body(b"not parquet", "application/vnd.apache.parquet", None)


# ---------------------------------------------------------------- answers


def test_predictions_in_mlflow_shapes() -> None:
    def answer(value: Any) -> Any:
        return json.loads(predictions_json(value))["predictions"]

    assert answer(np.array([1.5, 2.0])) == [1.5, 2.0]
    assert answer(pd.DataFrame({"p": [1], "q": ["x"]})) == [{"p": 1, "q": "x"}]
    assert answer(pd.Series([1, 2], name="y")) == [{"y": 1}, {"y": 2}]
    assert answer(pd.Series([1])) == [{"0": 1}]
    assert answer({"a": np.int64(3), "b": b"hi", "c": dt.date(2024, 1, 2)}) == {
        "a": 3,
        "b": "aGk=",
        "c": "2024-01-02",
    }
    with pytest.raises(TypeError, match="no JSON form"):
        predictions_json([object()])


# ---------------------------------------------------------------- the scorer


@pytest.fixture(scope="module")
def purchase(tmp_path_factory: pytest.TempPathFactory) -> Scorer:
    path = tmp_path_factory.mktemp("models") / "purchase"
    save_purchase_model(path)
    return Scorer(runreport.pyfunc.load_model(path))


def test_scorer_answers_predictions_and_signature_errors(purchase: Scorer) -> None:
    row = {"visits": 3, "minutes": 9.5, "channel": "ads"}
    ok = purchase(json.dumps({"dataframe_records": [row]}).encode(), "application/json")
    assert ok.status == 200 and len(json.loads(ok.body)["predictions"]) == 1
    missing = purchase(b'{"dataframe_records": [{"visits": 3}]}', "application/json")
    assert (missing.status, missing.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "['minutes', 'channel']" in json.loads(missing.body)["message"]
    wrong = purchase(
        json.dumps({"dataframe_records": [{**row, "visits": "three"}]}).encode(),
        "application/json",
    )
    message = json.loads(wrong.body)["message"]
    assert wrong.status == 400 and "'visits'" in message and "long" in message


def test_a_model_failing_on_an_input_is_a_400_not_a_500(tmp_path: Path) -> None:
    save_slow_model(tmp_path / "slow")
    scorer = Scorer(runreport.pyfunc.load_model(tmp_path / "slow"))
    answer = scorer(b'{"inputs": {"x": [-1.0]}}', "application/json")
    assert (answer.status, answer.error_code) == (400, "BAD_REQUEST")
    assert "ValueError: x must not be negative" in json.loads(answer.body)["message"]
    bad_params = scorer(b'{"inputs": {"x": [1.0]}, "params": [1]}', "application/json")
    assert (bad_params.status, bad_params.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert "params must be a dict" in json.loads(bad_params.body)["message"]
