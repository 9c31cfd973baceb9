"""Inference parameters: :class:`ParamSpec`, :class:`ParamSchema` and their checks.

A params schema says which keyword parameters ``predict(data, params=...)`` accepts, their types
and defaults. JSON form and conversion rules are MLflow's: int widens to long/float/double,
long to float/double, float to double; anything convertible becomes a datetime.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from runreport.exceptions import InvalidParameterError
from runreport.models.schema import DataType

_WIDENING = {
    DataType.long: (DataType.integer,),
    DataType.float: (DataType.integer, DataType.long),
    DataType.double: (DataType.integer, DataType.long, DataType.float),
}


def _value_type(value: Any) -> DataType | None:
    """The DataType a scalar parameter value is of, by MLflow's rules (None if none fits)."""
    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, np.integer):
        return DataType.integer if value.dtype.itemsize <= 4 else DataType.long
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, np.floating):
        return DataType.float if value.dtype.itemsize <= 4 else DataType.double
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (dt.date, np.datetime64)):
        return DataType.datetime
    return None


def _to_datetime(value: Any, where: str) -> dt.datetime | dt.date:
    try:
        converted = np.datetime64(value).item()
    except (ValueError, TypeError):
        converted = None
    if not isinstance(converted, (dt.date, dt.datetime)):
        raise InvalidParameterError(f"{where}: cannot convert {value!r} to datetime")
    return converted


def coerce_param(value: Any, dtype: DataType, where: str) -> Any:
    """``value`` as the Python type of ``dtype``, or an error naming ``where`` and both types."""
    if value is None:
        return None
    if dtype is DataType.datetime:
        return _to_datetime(value, where)
    actual = _value_type(value)
    if actual is dtype or actual in _WIDENING.get(dtype, ()):
        return dtype.to_python()(value)
    found = actual.name if actual is not None else type(value).__name__
    raise InvalidParameterError(
        f"{where}: cannot safely convert {found} value {value!r} to {dtype.name}"
    )


def _check_shape(value: Any, shape: tuple[int, ...] | None, where: str) -> None:
    if shape is None:
        if isinstance(value, (list, tuple, np.ndarray)):
            raise InvalidParameterError(f"{where}: expected a scalar, got {value!r}")
        return
    if shape != (-1,):
        raise InvalidParameterError(f"{where}: shape must be None or (-1,), got {shape}")
    if not isinstance(value, (list, tuple, np.ndarray)) or np.asarray(value).ndim != 1:
        raise InvalidParameterError(f"{where}: expected a 1-D list, got {value!r}")


class ParamSpec:
    """One inference parameter: name, type, default and shape (None or ``(-1,)``)."""

    def __init__(
        self,
        name: str,
        dtype: DataType | str,
        default: Any,
        shape: Sequence[int] | None = None,
    ) -> None:
        self.name = str(name)
        self.dtype = DataType.from_name(dtype)
        if self.dtype is DataType.binary:
            raise InvalidParameterError(f"param {self.name!r}: binary parameters are not supported")
        self.shape = tuple(shape) if shape is not None else None
        self.default = self.validate(default)

    @property
    def type(self) -> DataType:
        return self.dtype

    def validate(self, value: Any) -> Any:
        """``value`` converted to this param's type; raises naming the param."""
        where = f"param {self.name!r}"
        _check_shape(value, self.shape, where)
        if self.shape is None:
            return coerce_param(value, self.dtype, where)
        return [coerce_param(v, self.dtype, where) for v in value]

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.dtype is DataType.datetime and default is not None:
            default = [v.isoformat() for v in default] if self.shape else default.isoformat()
        shape = list(self.shape) if self.shape is not None else None
        return {"name": self.name, "default": default, "shape": shape, "type": self.dtype.name}

    @classmethod
    def from_json_dict(cls, **data: Any) -> ParamSpec:
        try:
            return cls(data["name"], data["type"], data.get("default"), data.get("shape"))
        except KeyError as exc:
            raise InvalidParameterError(f"param spec {data!r} lacks {exc}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), default=str))

    def __repr__(self) -> str:
        shape = f" (shape: {self.shape})" if self.shape is not None else ""
        return f"{self.name!r}: {self.dtype.name} (default: {self.default}){shape}"


class ParamSchema:
    """The parameters a model's ``predict`` accepts."""

    def __init__(self, params: Sequence[ParamSpec]) -> None:
        self.params = list(params)
        names = [p.name for p in self.params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidParameterError(f"param names must be unique; repeated: {duplicates}")

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __repr__(self) -> str:
        return repr(self.params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise InvalidParameterError(f"params schema is not valid JSON ({exc})") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidParameterError(f"params schema must be a JSON list of objects: {text!r}")
        return cls([ParamSpec.from_json_dict(**item) for item in items])

    def enforce(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Defaults filled in, given values converted; unknown names are dropped by the caller."""
        params = params or {}
        return {
            spec.name: spec.validate(params[spec.name]) if spec.name in params else spec.default
            for spec in self.params
        }


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    """A ParamSchema whose defaults are ``params``; errors name a param of unsupported type."""
    if not isinstance(params, dict):
        raise InvalidParameterError(f"params must be a dict, got {type(params).__name__}")
    return ParamSchema([_infer_param(str(name), value) for name, value in params.items()])


def _infer_param(name: str, value: Any) -> ParamSpec:
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        kinds = {_value_type(v) for v in items}
        item_type = kinds.pop() if len(kinds) == 1 else None
        if item_type is None:
            raise InvalidParameterError(
                f"param {name!r}: a list parameter needs items of one supported type, got {value!r}"
            )
        return ParamSpec(name, item_type, items, (-1,))
    kind = _value_type(value)
    if kind is None:
        raise InvalidParameterError(
            f"param {name!r}: values of type {type(value).__name__} are not supported; use "
            "bool, int, float, str, datetime or a list of one of those"
        )
    return ParamSpec(name, kind, value)
