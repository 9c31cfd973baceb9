"""Infer a :class:`Schema` from example data, by MLflow's rules.

DataFrames, Series, lists of scalars, lists of dicts and dicts of scalars give column specs;
numpy arrays and dicts of arrays give tensor specs with a variable (``-1``) first dimension.
One deliberate difference: a dict of lists is read as columns (as ``predict`` reads it), where
MLflow infers array-typed columns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.models.schema import ColSpec, DataType, Schema, TensorSpec

# Values that make one cell of a table (a dict of these is one row).
SCALAR_TYPES = (str, bytes, bytearray, bool, int, float, np.generic, dt.date)


def infer_schema(data: Any) -> Schema:
    """The schema of ``data``; errors name the column and the type that cannot be described."""
    if isinstance(data, pd.DataFrame):
        return _frame_schema(data)
    if isinstance(data, pd.Series):
        return Schema([_column_spec(data, data.name)])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, None)])
    if isinstance(data, dict):
        return _dict_schema(data)
    if isinstance(data, (list, tuple)):
        return _list_schema(list(data))
    if isinstance(data, SCALAR_TYPES):
        return Schema([_column_spec(pd.Series([data]), None)])
    raise InvalidParameterError(
        f"cannot infer a schema from {type(data).__name__}; expected a pandas DataFrame or "
        "Series, a numpy array, a dict, a list or a scalar"
    )


def _frame_schema(frame: pd.DataFrame) -> Schema:
    if frame.columns.empty:
        raise InvalidParameterError("cannot infer a schema from a DataFrame with no columns")
    if frame.columns.has_duplicates:
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidParameterError(f"DataFrame column names must be unique; repeated: {repeated}")
    return Schema([_column_spec(frame[name], name) for name in frame.columns])


def frame_from(data: Any, what: str) -> pd.DataFrame:
    """``pd.DataFrame(data)`` with pandas' ValueError turned into a clear error about ``what``."""
    try:
        return pd.DataFrame(data)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(f"{what} cannot be read as a table: {exc}") from None


def _dict_schema(data: dict[Any, Any]) -> Schema:
    if not data:
        raise InvalidParameterError("cannot infer a schema from an empty dict")
    if all(isinstance(v, np.ndarray) for v in data.values()):
        return Schema([_tensor_spec(v, str(k)) for k, v in data.items()])
    if all(_is_scalar(v) for v in data.values()):
        return _frame_schema(pd.DataFrame([data]))
    return _frame_schema(frame_from(data, "the dict"))


def _list_schema(items: list[Any]) -> Schema:
    if not items:
        raise InvalidParameterError("cannot infer a schema from an empty list")
    if all(isinstance(i, dict) for i in items):
        return _frame_schema(pd.DataFrame(items))
    if all(_is_scalar(i) for i in items):
        return Schema([_column_spec(pd.Series(items), None)])
    return Schema([_tensor_spec(np.asarray(items), None)])


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, SCALAR_TYPES)


def _tensor_spec(array: np.ndarray, name: str | None) -> TensorSpec:
    if array.dtype.kind not in "biufcUSOM" or array.ndim == 0:
        raise InvalidParameterError(
            f"cannot describe array {name or ''} of dtype {array.dtype} and shape {array.shape}"
        )
    return TensorSpec(array.dtype, (-1, *array.shape[1:]), name)


def _column_spec(column: pd.Series, name: Any) -> ColSpec:
    required = not bool(column.isna().any())
    return ColSpec(column_type(column, name), name, required)


def column_type(column: pd.Series, name: Any = None) -> DataType:
    """The DataType of a pandas column (pandas 3's str dtype is ``string``)."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    if dtype.kind == "O":
        return _object_type(column, name)
    try:
        return dtype_to_data_type(dtype)
    except InvalidParameterError:
        raise InvalidParameterError(
            f"column {name!r} has dtype {dtype}, which a signature cannot describe; cast it to "
            "int64, float64, bool, str or datetime64"
        ) from None


def dtype_to_data_type(dtype: Any) -> DataType:
    """MLflow's mapping from a numpy or pandas dtype to a DataType."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind == "i":
        return DataType.integer if size <= 4 else DataType.long
    if kind == "u" and size < 8:
        return DataType.integer if size <= 2 else DataType.long
    if kind == "f":
        return DataType.float if size <= 4 else DataType.double
    if kind == "U":
        return DataType.string
    if kind == "S":
        return DataType.binary
    if kind == "M":
        return DataType.datetime
    raise InvalidParameterError(f"dtype {dtype} has no signature type")


def _object_type(column: pd.Series, name: Any) -> DataType:
    values = column.dropna().tolist()
    kinds = {_scalar_type(v) for v in values}
    if not values or kinds == {DataType.string}:
        return DataType.string
    only = kinds.pop() if len(kinds) == 1 else None
    if only is not None:
        return only
    if kinds <= {DataType.long, DataType.double}:
        return DataType.double
    found = sorted({type(v).__name__ for v in values})
    raise InvalidParameterError(
        f"column {name!r} holds values of types {found}; a signature column needs one type"
    )


def _scalar_type(value: Any) -> DataType | None:
    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (dt.date, np.datetime64)):
        return DataType.datetime
    if isinstance(value, np.generic):
        return dtype_to_data_type(value.dtype)
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    return None
