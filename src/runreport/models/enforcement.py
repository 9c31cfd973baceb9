"""Check and convert ``predict`` input against a model's signature, as MLflow does.

Column signatures: the input becomes a DataFrame; missing required columns are an error that
names them; extra columns are dropped; columns are put in signature order; each column is
converted only when no value changes (int8 -> long, float -> double, int -> double while every
value is exactly representable). Anything else (double -> long, string -> double) is an error
naming the column and both types. Tensor signatures check shape and dtype; a dtype that numpy
casts safely (int32 -> float64) is converted.

One relaxation against MLflow: MLflow refuses int64 -> double unless every value is 0 or 1;
runreport allows it when every value converts exactly (|x| <= 2**53).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.models.inference import SCALAR_TYPES, frame_from
from runreport.models.params import ParamSchema
from runreport.models.schema import (
    ColSpec,
    DataType,
    OpaqueType,
    Schema,
    TensorSpec,
    clean_tensor_type,
)

_logger = logging.getLogger(__name__)

# The largest integer magnitude each float type holds exactly.
_EXACT_INT_LIMIT = {4: 2**24, 8: 2**53}


def enforce_schema(data: Any, schema: Schema) -> Any:
    """``data`` checked against ``schema`` and converted to what the model expects."""
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    frame = to_frame(data)
    if schema.has_input_names():
        return _enforce_named_columns(frame, schema)
    return _enforce_unnamed_columns(frame, schema)


def to_frame(data: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame, Series, dict (a row of scalars, or columns), list or array."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        if all(v is None or isinstance(v, SCALAR_TYPES) for v in data.values()):
            return pd.DataFrame([data])
        return frame_from(data, "the model input dict")
    if isinstance(data, (list, np.ndarray)):
        return frame_from(data, "the model input")
    if data is None or isinstance(data, SCALAR_TYPES):
        return pd.DataFrame([data])
    raise InvalidParameterError(
        f"model input of type {type(data).__name__} cannot be read as a table; give a "
        "DataFrame, a dict of columns, a list of records or a numpy array"
    )


def _enforce_named_columns(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    names = schema.input_names()
    missing = [n for n in schema.required_input_names() if n not in frame.columns]
    extra = [c for c in frame.columns if c not in names]
    if missing:
        message = f"Model is missing inputs {missing}."
        if extra:
            message += f" Note that there were extra inputs: {extra}."
        raise InvalidParameterError(f"{message} The model signature expects {names}.")
    if extra:
        _logger.warning("Ignoring input columns not in the model signature: %s", extra)
    columns = {
        spec.name: enforce_column(spec.name, frame[spec.name], _column_type(spec))
        for spec in schema.inputs
        if spec.name in frame.columns
    }
    return pd.DataFrame(columns, index=frame.index)


def _enforce_unnamed_columns(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    if len(frame.columns) < len(schema.inputs):
        raise InvalidParameterError(
            f"Model is missing inputs: the signature declares {len(schema.inputs)} unnamed "
            f"inputs but the input has {len(frame.columns)} columns"
        )
    columns = {
        name: enforce_column(name, frame[name], _column_type(spec))
        for name, spec in zip(frame.columns, schema.inputs, strict=False)
    }
    return pd.DataFrame(columns, index=frame.index)


def _column_type(spec: ColSpec | TensorSpec) -> DataType | OpaqueType:
    if not isinstance(spec, ColSpec):  # Schema never mixes kinds; checked by the caller
        raise InvalidParameterError(f"expected a column spec, got {spec!r}")
    return spec.type


def enforce_column(name: Any, values: pd.Series, expected: DataType | OpaqueType) -> pd.Series:
    """One column converted to ``expected``, or an error naming the column and both types."""
    if isinstance(expected, OpaqueType):
        return values
    if values.dtype == object and expected not in (DataType.string, DataType.binary):
        values = values.infer_objects()
    passed = _pass_through(values, expected)
    if passed is not None:
        return passed
    if expected is DataType.datetime:
        return _to_datetime(name, values)
    if _is_widening(values, expected):
        return values.astype(expected.to_numpy())
    raise InvalidParameterError(_incompatible(name, values, expected))


def _pass_through(values: pd.Series, expected: DataType) -> pd.Series | None:
    dtype = values.dtype
    textual = dtype.kind == "O" or isinstance(dtype, pd.StringDtype)
    if expected in (DataType.string, DataType.binary) and textual:
        return values
    if expected is DataType.binary and dtype.kind == "S":
        return values
    if expected is DataType.boolean and dtype.kind in "Ob":
        return values
    if dtype == expected.to_numpy():
        return values
    return None


def _to_datetime(name: Any, values: pd.Series) -> pd.Series:
    try:
        return values.astype("datetime64[ns]")
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"Incompatible input types for column {name!r}: cannot convert {values.dtype} to "
            f"datetime (timezone-naive datetimes are expected): {exc}"
        ) from None


def _is_widening(values: pd.Series, expected: DataType) -> bool:
    source, target = values.dtype, expected.to_numpy()
    if not isinstance(source, np.dtype) and values.hasnans:
        return False  # a nullable column with missing values cannot become numpy ints
    if source.kind == target.kind and source.kind in "if":
        return source.itemsize <= target.itemsize
    if source.kind == "u" and target.kind == "i":
        return source.itemsize < target.itemsize
    if source.kind in "iu" and target.kind == "f":
        limit = _EXACT_INT_LIMIT[target.itemsize]
        return values.empty or bool(values.abs().max() <= limit)
    return False


def _incompatible(name: Any, values: pd.Series, expected: DataType) -> str:
    message = (
        f"Incompatible input types for column {name!r}: cannot safely convert "
        f"{values.dtype} to {expected.name} ({expected.to_numpy()})."
    )
    if values.dtype.kind == "f" and expected.to_numpy().kind == "i" and values.hasnans:
        message += (
            " Hint: integer columns cannot hold missing values, so they arrive as floats; "
            "declare the column as double if it may have missing values."
        )
    return message


def _enforce_tensors(data: Any, schema: Schema) -> Any:
    specs: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
    if schema.has_input_names():
        return _enforce_named_tensors(data, specs)
    spec = specs[0]
    if isinstance(data, pd.DataFrame):
        data = _frame_to_tensor(data, spec)
    elif isinstance(data, list):
        data = np.asarray(data)
    if not isinstance(data, np.ndarray):
        raise InvalidParameterError(
            f"this model's signature is an unnamed tensor {spec!r}: give a numpy array or a "
            f"DataFrame, not {type(data).__name__}"
        )
    return enforce_tensor(data, spec)


def _frame_to_tensor(frame: pd.DataFrame, spec: TensorSpec) -> np.ndarray:
    if len(frame.columns) == 1:
        return np.asarray(frame.iloc[:, 0].tolist())
    if spec.shape != (-1, len(frame.columns)):
        raise InvalidParameterError(
            f"the input DataFrame has {len(frame.columns)} columns but the model expects a "
            f"tensor of shape {spec.shape}"
        )
    return frame.to_numpy()


def _enforce_named_tensors(data: Any, specs: list[TensorSpec]) -> dict[str, np.ndarray]:
    if isinstance(data, pd.DataFrame):
        data = {c: np.asarray(data[c].tolist()) for c in data.columns}
    if not isinstance(data, dict):
        raise InvalidParameterError(
            "this model's signature names its tensors: give a dict of numpy arrays, "
            f"not {type(data).__name__}"
        )
    missing = [s.name for s in specs if s.name not in data]
    if missing:
        raise InvalidParameterError(f"Model is missing inputs {missing}.")
    return {s.name: enforce_tensor(np.asarray(data[s.name]), s) for s in specs if s.name}


def enforce_tensor(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """``values`` checked against a tensor spec's shape and dtype (safe casts applied)."""
    label = f"input {spec.name!r}" if spec.name else "input"
    expected, actual = spec.shape, values.shape
    ragged = values.ndim == 1 and values.dtype == object and -1 in expected[1:]
    if (spec.type == np.dtype(object) and expected == (-1,)) or ragged:
        return values
    if len(expected) != len(actual) or any(
        e not in (-1, a) for e, a in zip(expected, actual, strict=True)
    ):
        raise InvalidParameterError(
            f"Shape of {label} {actual} does not match expected shape {expected}."
        )
    if clean_tensor_type(values.dtype) == clean_tensor_type(spec.type):
        return values
    if np.can_cast(values.dtype, spec.type, casting="safe"):
        return values.astype(spec.type)
    raise InvalidParameterError(
        f"dtype of {label} {values.dtype} does not match expected dtype {spec.type} and "
        "cannot be converted safely"
    )


def enforce_params(
    params: dict[str, Any] | None, schema: ParamSchema | None
) -> dict[str, Any] | None:
    """Params checked against the model's params schema (MLflow drops params it cannot check)."""
    if schema is None:
        if params:
            _logger.warning(
                "Ignoring params %s: the model signature has no params schema", sorted(params)
            )
        return None
    if params is not None and not isinstance(params, dict):
        raise InvalidParameterError(f"params must be a dict, got {type(params).__name__}")
    unknown = sorted(set(params or {}) - {spec.name for spec in schema})
    if unknown:
        _logger.warning("Ignoring params not in the model's params schema: %s", unknown)
    return schema.enforce(params)


__all__ = ["enforce_column", "enforce_params", "enforce_schema", "enforce_tensor"]
