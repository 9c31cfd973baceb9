"""What runs inside Spark's Python workers for :func:`runreport.pyfunc.spark_udf`.

This module holds per-process state (the loaded models), so it must stay importable by name:
Spark pickles the UDF by value but this module by reference, so every worker process loads
each model once and reuses it for all the batches and tasks it runs. Nothing here imports
pyspark except :meth:`ModelLocation.local_dir` on a cluster (``SparkFiles``).
"""

from __future__ import annotations

import json
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError

_MODELS: dict[tuple[str, str], Any] = {}
_EXTRACTED: dict[str, str] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelLocation:
    """Where a worker finds the model: a shared path, or a zip shipped with ``addFile``."""

    path: str
    archive: str | None = None

    def local_dir(self) -> str:
        if self.archive is None:
            return self.path
        if self.archive not in _EXTRACTED:
            from pyspark import SparkFiles

            target = tempfile.mkdtemp(prefix="runreport-model-")
            with zipfile.ZipFile(SparkFiles.get(self.archive)) as archive:
                archive.extractall(target)
            _EXTRACTED[self.archive] = target
        return _EXTRACTED[self.archive]


@dataclass(frozen=True)
class UdfSpec:
    """Everything a worker needs to score: the model, how to name its inputs, the result."""

    location: ModelLocation
    input_names: tuple[str, ...]  # the signature's column names; empty when unnamed
    required_names: tuple[str, ...]
    arg_names: tuple[str, ...] | None  # names of the columns the UDF was called with
    positional: bool  # match by position when no column name is a signature name
    element: str  # double, float, long, int, boolean or string
    is_array: bool
    params: dict[str, Any] | None = None
    model_config: dict[str, Any] | None = None


def load_cached(spec: UdfSpec) -> Any:
    """The model, loaded once per worker process."""
    from runreport.models.pyfunc import load_model

    key = (repr(spec.location), json.dumps(spec.model_config, sort_keys=True, default=str))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_model(spec.location.local_dir(), model_config=spec.model_config)
        return _MODELS[key]


def score_batches(batches: Iterator[Any], spec: UdfSpec) -> Iterator[pd.Series]:
    """The pandas UDF body: one result Series per Arrow batch."""
    model = load_cached(spec)
    for batch in batches:
        args = batch if isinstance(batch, tuple) else (batch,)
        frame = model_input(args, spec)
        predictions = model.predict(frame, params=spec.params)
        yield to_result(predictions, spec, len(frame))


def model_input(args: tuple[Any, ...], spec: UdfSpec) -> pd.DataFrame:
    """The batch as a DataFrame whose columns carry the model's input names."""
    if len(args) == 1 and isinstance(args[0], pd.DataFrame):
        frame = args[0]
    else:
        names = spec.arg_names or tuple(str(i) for i in range(len(args)))
        frame = pd.DataFrame({name: _values(arg) for name, arg in zip(names, args, strict=True)})
    if spec.positional and spec.input_names and not set(frame.columns) & set(spec.input_names):
        frame = _by_position(frame, spec)
    return frame


def _values(arg: pd.Series | pd.DataFrame) -> Any:
    """A Series' values; a struct column (a DataFrame) as one dict per row, as MLflow does."""
    return arg.to_dict("records") if isinstance(arg, pd.DataFrame) else arg.to_numpy()


def _by_position(frame: pd.DataFrame, spec: UdfSpec) -> pd.DataFrame:
    """MLflow's rule for unnamed columns: the n-th column is the signature's n-th input."""
    names = list(spec.input_names)
    if len(frame.columns) < len(spec.required_names):
        raise InvalidParameterError(
            f"Model input is missing required columns: the model expects {names}, but the UDF "
            f"was called with {len(frame.columns)} columns {list(frame.columns)}, none of them "
            "named as in the signature, so they are taken in signature order. Call the UDF "
            "with the signature's column names, or with struct(...) of named columns."
        )
    frame = frame.iloc[:, : len(names)]
    return frame.set_axis(names[: len(frame.columns)], axis=1)


def to_result(predictions: Any, spec: UdfSpec, rows: int) -> pd.Series:
    """Predictions converted to the UDF's result type, as MLflow chooses the columns."""
    frame = _as_frame(predictions)
    if len(frame) != rows:
        raise InvalidParameterError(
            f"the model returned {len(frame)} predictions for {rows} input rows"
        )
    selected = _select(frame, spec.element)
    if selected.columns.empty:
        found = ", ".join(str(t) for t in frame.dtypes) or "nothing"
        raise InvalidParameterError(
            f"The model did not produce any values compatible with the requested type "
            f"{spec.element!r}: its output columns are of types {found}. Ask for "
            "result_type='string' or a type matching the model's output."
        )
    if spec.is_array:
        return pd.Series(selected.to_numpy().tolist())
    return selected.iloc[:, 0].reset_index(drop=True)


def _as_frame(predictions: Any) -> pd.DataFrame:
    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame()
    if isinstance(predictions, dict):
        return pd.DataFrame(predictions)
    array = np.asarray(predictions)
    return pd.DataFrame(array.reshape(len(array), -1) if array.ndim > 1 else array)


def _select(frame: pd.DataFrame, element: str) -> pd.DataFrame:
    """The columns that can be given as ``element``, converted to it."""
    if element == "string":
        return frame.map(str)
    columns = {}
    for position, name in enumerate(frame.columns):
        converted = _convert(frame.iloc[:, position], element)
        if converted is not None:
            columns[name] = converted
    return pd.DataFrame(columns, index=frame.index)


_INT_LIMITS: dict[str, Any] = {"int": np.iinfo(np.int32), "long": np.iinfo(np.int64)}
_NUMPY = {"double": np.float64, "float": np.float32, "int": np.int32, "long": np.int64}


def _convert(column: pd.Series, element: str) -> pd.Series | None:
    kind = column.dtype.kind
    if element == "boolean":
        return column if kind == "b" else None
    if element in ("double", "float"):
        return column.astype(_NUMPY[element]) if kind in "iuf" else None
    if kind not in "iu":
        return None
    limits = _INT_LIMITS[element]
    if not column.empty and (column.min() < limits.min or column.max() > limits.max):
        return None  # an int64 column fits "int" only when every value does
    return column.astype(_NUMPY[element])
