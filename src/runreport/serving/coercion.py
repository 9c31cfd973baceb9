"""Bring values from JSON and CSV to the types a model's signature names, losslessly.

JSON and CSV carry one number type and no bytes or datetimes, so the wire format cannot say
"int32", "float32", "binary" or "datetime". Before the model's own signature check
(:mod:`runreport.models.enforcement`) runs, each input named by the signature is converted:

- ``float`` (float32) columns and tensors: numbers become float32 (rounded, as MLflow does);
- ``integer``/``long``: numbers become that integer type when every value is a whole number
  inside its range (``2.0`` -> ``2``); ``2.5`` or a missing value is left for the signature check
  to refuse, naming the column and both types;
- ``binary``: JSON strings are base64-decoded (MLflow's convention);
- ``datetime``: strings are parsed as ISO 8601.

Anything else is passed through unchanged, so a string sent for a number column is refused by
the signature check, never silently parsed.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.models.schema import ColSpec, DataType, Schema, TensorSpec


def coerce_input(data: Any, schema: Schema | None, *, decode_binary: bool) -> Any:
    """``data`` (a DataFrame, dict of arrays or array) with wire types mapped to ``schema``."""
    if schema is None:
        return data
    if schema.is_tensor_spec():
        return _coerce_tensors(data, schema)
    if isinstance(data, pd.DataFrame):
        return _coerce_frame(data, schema, decode_binary)
    return data


# The types JSON and CSV cannot say exactly; other columns are passed through untouched.
_WIRE_TYPES = (DataType.integer, DataType.long, DataType.float, DataType.binary, DataType.datetime)


def _coerce_frame(frame: pd.DataFrame, schema: Schema, decode_binary: bool) -> pd.DataFrame:
    if schema.has_input_names():
        pairs = [(spec.name, spec) for spec in schema.inputs]
    else:
        pairs = list(zip(frame.columns, schema.inputs, strict=False))
    out = frame
    for name, spec in pairs:
        if not isinstance(spec, ColSpec) or spec.type not in _WIRE_TYPES:
            continue
        if name in frame.columns and isinstance(column := frame[name], pd.Series):
            new = coerce_column(name, column, spec.type, decode_binary)
            if new is not column:
                out = out.copy() if out is frame else out  # copy-on-write: cheap
                out[name] = new
    return out


def coerce_column(name: Any, values: pd.Series, expected: Any, decode_binary: bool) -> pd.Series:
    """One column converted to ``expected`` where the wire format could not say it."""
    if not isinstance(expected, DataType) or values.empty:
        return values
    if expected is DataType.binary:
        return _decode_base64(name, values) if decode_binary else values
    if expected is DataType.datetime:
        return _parse_datetimes(name, values)
    if expected in (DataType.integer, DataType.long, DataType.float):
        converted = _to_number(values.to_numpy(), expected.to_numpy())
        if converted is not None:
            return pd.Series(converted, index=values.index, name=values.name)
    return values


def _to_number(values: np.ndarray, target: np.dtype) -> np.ndarray | None:
    """``values`` as ``target`` when a JSON/CSV number fits it; None to leave them alone."""
    if values.dtype.kind not in "iuf" or values.dtype == target:
        return None
    if target.kind == "f":
        return values.astype(target)
    if values.dtype.kind == "f" and not np.all(np.isfinite(values) & (values == np.round(values))):
        return None
    info = np.iinfo(target)
    if values.min() < info.min or values.max() > info.max:
        return None
    return values.astype(target)


def _decode_base64(name: Any, values: pd.Series) -> pd.Series:
    def decode(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameterError(
                f"column {name!r} is binary, so JSON values must be base64 strings; "
                f"{value[:40]!r} is not valid base64"
            ) from None

    return values.map(decode).astype(object)


def _parse_datetimes(name: Any, values: pd.Series) -> pd.Series:
    if values.dtype.kind == "M":
        return values
    try:
        return pd.to_datetime(values, format="ISO8601").astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"column {name!r} is a datetime column and its values could not be read as ISO 8601 "
            f"datetimes: {exc}"
        ) from None


def _coerce_tensors(data: Any, schema: Schema) -> Any:
    specs: list[TensorSpec] = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if isinstance(data, dict) and schema.has_input_names():
        by_name = {s.name: s for s in specs}
        return {k: _coerce_tensor(v, by_name.get(k)) for k, v in data.items()}
    if isinstance(data, np.ndarray) and len(specs) == 1:
        return _coerce_tensor(data, specs[0])
    return data


def _coerce_tensor(values: Any, spec: TensorSpec | None) -> Any:
    if spec is None or not isinstance(values, np.ndarray) or values.size == 0:
        return values
    target = np.dtype(spec.type)
    if target.kind not in "iuf":
        return values
    converted = _to_number(values, target)
    return values if converted is None else converted
