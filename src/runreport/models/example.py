"""Input examples: ``input_example.json`` and ``serving_input_example.json``, as MLflow writes them.

Tabular examples (DataFrame, Series, list of dicts or scalars) are written in pandas "split"
orient (``{"columns": [...], "data": [[...]]}``) and served as ``{"dataframe_split": ...}``.
Arrays are written as nested lists and served as ``{"inputs": ...}``; a dict of scalars as a JSON
object (MLflow's ``json_object``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.models import format as fmt
from runreport.models.inference import SCALAR_TYPES, frame_from


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, default=_json_default, indent=indent)


def normalize_example(example: Any) -> pd.DataFrame | np.ndarray | dict[str, Any]:
    """The example as a DataFrame, an ndarray or a dict of scalars (what gets saved)."""
    if isinstance(example, (pd.DataFrame, np.ndarray)):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    if isinstance(example, dict) and all(isinstance(v, SCALAR_TYPES) for v in example.values()):
        return dict(example)
    if isinstance(example, dict):
        return frame_from(example, "input_example")
    if isinstance(example, list) and example:
        if all(isinstance(item, (dict, *SCALAR_TYPES)) for item in example):
            return frame_from(example, "input_example")
        return np.asarray(example)
    raise InvalidParameterError(
        f"input_example of type {type(example).__name__} is not supported; give a pandas "
        "DataFrame or Series, a numpy array, a dict or a non-empty list"
    )


def save_input_example(model_dir: Path, example: Any) -> tuple[Any, dict[str, Any]]:
    """Write both example files; return the normalized example and ``saved_input_example_info``."""
    data = normalize_example(example)
    info: dict[str, Any] = {
        "artifact_path": fmt.INPUT_EXAMPLE_FILE,
        "serving_input_path": fmt.SERVING_INPUT_FILE,
    }
    if isinstance(data, pd.DataFrame):
        split = {"columns": list(data.columns), "data": data.to_numpy(dtype=object).tolist()}
        body, serving = split, {"dataframe_split": split}
        info.update(type="dataframe", pandas_orient="split")
    elif isinstance(data, np.ndarray):
        body, serving = data.tolist(), {"inputs": data.tolist()}
        info["type"] = "ndarray"
    else:
        body, serving = data, {"inputs": data}
        info["type"] = "json_object"
    (model_dir / fmt.INPUT_EXAMPLE_FILE).write_text(_dumps(body), encoding="utf-8")
    (model_dir / fmt.SERVING_INPUT_FILE).write_text(_dumps(serving, indent=2), encoding="utf-8")
    return data, info


def load_input_example(model_dir: Path, info: dict[str, Any] | None) -> Any:
    """Read back a saved example (None if the model has none)."""
    if not info:
        return None
    path = model_dir / str(info.get("artifact_path", fmt.INPUT_EXAMPLE_FILE))
    data = json.loads(path.read_text(encoding="utf-8"))
    kind = info.get("type")
    if kind == "dataframe":
        if info.get("pandas_orient", "split") == "records":
            return pd.DataFrame(data)
        return pd.DataFrame(data["data"], columns=data["columns"])
    if kind == "ndarray":
        return np.asarray(data["inputs"] if isinstance(data, dict) else data)
    return data
