"""MLflow's scoring protocol, without HTTP: request bodies in, model input out, predictions back.

A JSON request is an object with exactly one of ``dataframe_split``, ``dataframe_records``,
``instances`` or ``inputs`` and optionally ``params``; a CSV request is a table with a header
row; a Parquet request (``application/vnd.apache.parquet``) is one Parquet file. The answer is
``{"predictions": [...]}``. The same parsing serves ``runreport serve`` and
``runreport predict``, so a payload that works with one works with the other.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from runreport.exceptions import RunReportError
from runreport.models.enforcement import to_frame
from runreport.models.schema import ColSpec, DataType, Schema
from runreport.serving.coercion import coerce_input
from runreport.serving.errors import BadRequestError, UnsupportedMediaTypeError

CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_CSV = "text/csv"
CONTENT_TYPE_PARQUET = "application/vnd.apache.parquet"
CONTENT_TYPES = (CONTENT_TYPE_JSON, CONTENT_TYPE_CSV, CONTENT_TYPE_PARQUET)

DF_SPLIT = "dataframe_split"
DF_RECORDS = "dataframe_records"
INSTANCES = "instances"
INPUTS = "inputs"
INPUT_KEYS = (DF_SPLIT, DF_RECORDS, INSTANCES, INPUTS)
PARAMS_KEY = "params"

REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON object with exactly one of the input fields "
    f"{', '.join(repr(k) for k in INPUT_KEYS)} (and optionally 'params')"
)


@dataclass(frozen=True)
class ModelInput:
    """What to call ``model.predict(data, params=params)`` with."""

    data: Any
    params: dict[str, Any] | None = None


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header; 415 unless it is supported and UTF-8."""
    if not content_type:
        raise UnsupportedMediaTypeError(
            f"the request has no Content-Type; send one of {', '.join(CONTENT_TYPES)}"
        )
    kind, *parameters = (part.strip() for part in content_type.split(";"))
    kind = kind.lower()
    for parameter in filter(None, parameters):
        name, _, value = parameter.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"').lower()
        if name != "charset":
            raise UnsupportedMediaTypeError(
                f"unrecognized content type parameter {name!r} in {content_type!r}; only "
                "'charset' is allowed"
            )
        if value not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(
                f"the scoring server only supports UTF-8; got charset {value!r}"
            )
    if kind not in CONTENT_TYPES:
        raise UnsupportedMediaTypeError(
            f"content type {content_type!r} is not supported; send one of "
            f"{', '.join(CONTENT_TYPES)}"
        )
    return kind


def parse_body(body: bytes, content_type: str | None, schema: Schema | None) -> ModelInput:
    """The model input of one ``/invocations`` request body."""
    kind = media_type(content_type)
    if kind == CONTENT_TYPE_JSON:
        return parse_json_payload(decode_json(body), schema)
    if kind == CONTENT_TYPE_CSV:
        frame = read_csv(io.BytesIO(body), schema)
    else:
        frame = read_parquet_bytes(body)
    return ModelInput(coerce_input(frame, schema, decode_binary=False))


def decode_json(body: bytes | str) -> Any:
    """The parsed JSON document; a 400 that quotes the parser's reason if it is not JSON."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise BadRequestError(
            f"Invalid input. The request body is not valid UTF-8: {exc}"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"Invalid input. Ensure that input is a valid JSON formatted string. Error: {exc}. "
            f"Input starts with: {text[:100]!r}"
        ) from None


def parse_json_payload(payload: Any, schema: Schema | None) -> ModelInput:
    """MLflow's JSON request object -> model input and params."""
    if isinstance(payload, list):
        raise BadRequestError(f"{REQUIRED_INPUT_FORMAT}. Received a list.")
    if not isinstance(payload, dict):
        raise BadRequestError(f"{REQUIRED_INPUT_FORMAT}. Received {type(payload).__name__}.")
    keys = [k for k in INPUT_KEYS if k in payload]
    if len(keys) != 1:
        raise BadRequestError(
            f"{REQUIRED_INPUT_FORMAT}. Received an object with fields {sorted(payload)}."
        )
    params = payload.get(PARAMS_KEY)
    try:
        data = _READERS[keys[0]](payload[keys[0]], schema)
        data = coerce_input(data, schema, decode_binary=True)
    except RunReportError:
        raise
    except (ValueError, TypeError) as exc:
        raise BadRequestError(
            f"Invalid input. The {keys[0]!r} field cannot be read: {exc}"
        ) from None
    return ModelInput(data, params)


def _dataframe_split(value: Any, schema: Schema | None) -> pd.DataFrame:
    if not isinstance(value, dict):
        raise BadRequestError(
            f"'dataframe_split' must be an object with 'data' and optionally 'columns' and "
            f"'index'; got {_kind(value)}"
        )
    extra = sorted(set(value) - {"columns", "data", "index"})
    if "data" not in value or extra:
        raise BadRequestError(
            "'dataframe_split' must have a 'data' field and optionally 'columns' and 'index'; "
            f"got fields {sorted(value)}"
        )
    return pd.DataFrame(value["data"], index=value.get("index"), columns=value.get("columns"))


def _dataframe_records(value: Any, schema: Schema | None) -> pd.DataFrame:
    if not isinstance(value, list):
        raise BadRequestError(f"'dataframe_records' must be a list of records; got {_kind(value)}")
    return pd.DataFrame(value)


def _instances(value: Any, schema: Schema | None) -> Any:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return _named(_records_to_columns(value), schema)
    return _unnamed(value, schema)


def _inputs(value: Any, schema: Schema | None) -> Any:
    if isinstance(value, dict):
        return _named(value, schema)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return pd.DataFrame(value)
    return _unnamed(value, schema)


def _records_to_columns(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    for record in records:
        for name, value in record.items():
            columns.setdefault(name, []).append(value)
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        short = sorted(name for name, n in lengths.items() if n < len(records))
        raise BadRequestError(
            "The length of values for each input/column name are not the same: some "
            f"'instances' lack {short}"
        )
    return columns


def _named(columns: dict[str, Any], schema: Schema | None) -> Any:
    if schema is not None and schema.is_tensor_spec():
        return {name: np.asarray(values) for name, values in columns.items()}
    return to_frame(columns)


def _unnamed(value: Any, schema: Schema | None) -> Any:
    if schema is None or schema.is_tensor_spec():
        return np.asarray(value)
    if not isinstance(value, list):
        value = [value]
    if schema.has_input_names() and len(schema.inputs) == 1:
        return pd.DataFrame({schema.inputs[0].name: value})
    return pd.DataFrame(value)


_READERS = {
    DF_SPLIT: _dataframe_split,
    DF_RECORDS: _dataframe_records,
    INSTANCES: _instances,
    INPUTS: _inputs,
}


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)


def csv_dtypes(schema: Schema | None) -> dict[Any, Any]:
    """``read_csv`` dtypes that keep string columns as text ("007" stays "007")."""
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return {}
    textual = (DataType.string, DataType.binary)
    return {s.name: str for s in schema.inputs if isinstance(s, ColSpec) and s.type in textual}


def read_csv(source: IO[bytes] | str, schema: Schema | None, **options: Any) -> Any:
    """``pandas.read_csv`` with string columns kept as text; a 400 if it is not a CSV table."""
    try:
        return pd.read_csv(source, dtype=csv_dtypes(schema), encoding="utf-8", **options)
    except (ValueError, TypeError) as exc:
        raise BadRequestError(
            "Failed to parse input as a CSV table with a header row (as written by "
            f"pandas.DataFrame.to_csv(index=False)): {exc}"
        ) from None


def read_parquet_bytes(body: bytes) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UnsupportedMediaTypeError(
            "Parquet input needs pyarrow, which this server does not have; install "
            "'runreport[parquet]' or send JSON or CSV"
        ) from None
    try:
        return pq.read_table(io.BytesIO(body)).to_pandas()
    except (ValueError, TypeError, OSError) as exc:
        raise BadRequestError(f"Failed to parse input as a Parquet file: {exc}") from None


def jsonable(predictions: Any) -> Any:
    """Predictions in MLflow's JSON shape: arrays as lists, tables as lists of records."""
    if isinstance(predictions, np.ndarray):
        return predictions.tolist()
    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if isinstance(predictions, pd.Series):
        return predictions.to_frame().to_dict(orient="records")
    return predictions


def encode_value(value: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars, bytes (base64) and datetimes (ISO 8601)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (dt.date, dt.time)):  # pandas.Timestamp is a datetime
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    raise TypeError(f"the model returned a {type(value).__name__}, which has no JSON form")


def dumps(document: Any) -> bytes:
    """UTF-8 JSON with :func:`encode_value` for values plain ``json`` does not know."""
    return json.dumps(document, default=encode_value).encode()


def predictions_json(predictions: Any) -> bytes:
    """The response body: ``{"predictions": [...]}``."""
    return dumps({"predictions": jsonable(predictions)})
