"""Column, tensor and parameter specs with MLflow's names and JSON form.

``Schema([ColSpec("double", "x")]).to_json()`` is the string MLflow writes into ``MLmodel``, and
``Schema.from_json`` reads MLflow's. Column types runreport does not model (MLflow's ``array``,
``object``, ``map``, ``any``) are kept as :class:`OpaqueType` so such signatures round-trip;
runreport does not check values against them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from runreport.exceptions import InvalidParameterError


class DataType(Enum):
    """MLflow's scalar column types, with the numpy dtype each stands for."""

    boolean = "bool"
    integer = "int32"
    long = "int64"
    float = "float32"
    double = "float64"
    string = "object"
    binary = "object"
    datetime = "datetime64[ns]"

    # Two members share the numpy type "object"; give each its own identity.
    def __new__(cls, numpy_name: str) -> DataType:
        member = object.__new__(cls)
        member._value_ = len(cls.__members__)
        member._numpy_name = numpy_name  # type: ignore[attr-defined]
        return member

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> np.dtype:
        return np.dtype(self._numpy_name)  # type: ignore[attr-defined]

    def to_pandas(self) -> np.dtype:
        return self.to_numpy()

    def to_python(self) -> type:
        return _PYTHON_TYPES[self]

    @classmethod
    def from_name(cls, name: str | DataType) -> DataType:
        """The member called ``name`` ("double", "long" ...) or a clear error."""
        if isinstance(name, DataType):
            return name
        try:
            return cls[str(name)]
        except KeyError:
            allowed = ", ".join(cls.__members__)
            raise InvalidParameterError(
                f"data type {name!r} is not valid; expected one of {allowed}"
            ) from None


_PYTHON_TYPES: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: dt.datetime,
}


@dataclass(frozen=True)
class OpaqueType:
    """A column type MLflow knows and runreport does not check (array, object, map, any)."""

    spec: tuple[tuple[str, Any], ...]

    @property
    def name(self) -> str:
        return str(dict(self.spec).get("type"))

    def __str__(self) -> str:
        return self.name


def _json_default(value: Any) -> Any:
    if isinstance(value, OpaqueType):
        return dict(value.spec)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ColSpec:
    """One column: a :class:`DataType` (or a type name), an optional name, required or not."""

    def __init__(
        self, type: DataType | str | OpaqueType, name: str | None = None, required: bool = True
    ) -> None:
        self.type = type if isinstance(type, OpaqueType) else DataType.from_name(type)
        self.name = name
        self.required = required

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.type, OpaqueType):
            out = dict(self.type.spec)
        else:
            out = {"type": self.type.name}
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ColSpec:
        kind = data.get("type")
        rest = {k: v for k, v in data.items() if k not in ("name", "required")}
        if isinstance(kind, str) and kind in DataType.__members__ and len(rest) == 1:
            col_type: DataType | OpaqueType = DataType[kind]
        else:
            col_type = OpaqueType(tuple(rest.items()))
        return cls(col_type, data.get("name"), bool(data.get("required", True)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), default=_json_default))

    def __repr__(self) -> str:
        required = "required" if self.required else "optional"
        prefix = f"{self.name!r}: " if self.name is not None else ""
        return f"{prefix}{self.type} ({required})"


def clean_tensor_type(dtype: np.dtype) -> str:
    """MLflow's name of a tensor dtype: sized strings and bytes lose their size."""
    dtype = np.dtype(dtype)
    if dtype.kind == "U":
        return "str"
    if dtype.kind == "S":
        return "bytes"
    return dtype.name


class TensorSpec:
    """A tensor input or output: numpy dtype and shape (``-1`` for a variable dimension)."""

    def __init__(
        self,
        type: np.dtype | str | None = None,
        shape: Sequence[int] = (-1,),
        name: str | None = None,
        *,
        dtype: np.dtype | str | None = None,
    ) -> None:
        type = dtype if type is None else type  # MLflow calls it ``type``; ``dtype`` also works
        if type is None:
            raise InvalidParameterError("a tensor spec needs a numpy dtype")
        try:
            self.type = np.dtype(type)
        except TypeError:
            raise InvalidParameterError(f"tensor dtype {type!r} is not a numpy dtype") from None
        self.shape = tuple(int(d) for d in shape)
        self.name = name

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": clean_tensor_type(self.type), "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> TensorSpec:
        spec = data.get("tensor-spec") or {}
        if "dtype" not in spec or "shape" not in spec:
            raise InvalidParameterError(f"tensor spec {data!r} needs 'dtype' and 'shape'")
        return cls(np.dtype(spec["dtype"]), spec["shape"], data.get("name"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorSpec) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict()))

    def __repr__(self) -> str:
        text = f"Tensor({clean_tensor_type(self.type)!r}, {self.shape})"
        return f"{self.name!r}: {text}" if self.name is not None else text


class Schema:
    """An ordered list of column specs or of tensor specs (never a mix)."""

    def __init__(self, inputs: Sequence[ColSpec | TensorSpec]) -> None:
        self.inputs = list(inputs)
        if not self.inputs:
            raise InvalidParameterError("a schema needs at least one column or tensor spec")
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidParameterError("a schema holds column specs or tensor specs, not both")
        named = [spec.name is not None for spec in self.inputs]
        if any(named) and not all(named):
            raise InvalidParameterError("either every spec in a schema has a name or none does")

    def __iter__(self) -> Iterator[ColSpec | TensorSpec]:
        return iter(self.inputs)

    def __len__(self) -> int:
        return len(self.inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __repr__(self) -> str:
        return repr(self.inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        return [spec.name if spec.name is not None else i for i, spec in enumerate(self.inputs)]

    def input_types(self) -> list[Any]:
        return [spec.type for spec in self.inputs]

    def input_dict(self) -> dict[str, ColSpec | TensorSpec]:
        return {spec.name: spec for spec in self.inputs if spec.name is not None}

    def required_input_names(self) -> list[str | int]:
        return [
            name
            for name, spec in zip(self.input_names(), self.inputs, strict=True)
            if not isinstance(spec, ColSpec) or spec.required
        ]

    def optional_input_names(self) -> list[str | int]:
        return [
            name
            for name, spec in zip(self.input_names(), self.inputs, strict=True)
            if isinstance(spec, ColSpec) and not spec.required
        ]

    def numpy_types(self) -> list[np.dtype]:
        return [
            spec.type if isinstance(spec, TensorSpec) else spec.type.to_numpy()
            for spec in self.inputs
            if not isinstance(spec.type, OpaqueType)
        ]

    def to_dict(self) -> list[dict[str, Any]]:
        return [spec.to_dict() for spec in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise InvalidParameterError(
                f"schema is not valid JSON ({exc}): {text[:80]!r}"
            ) from None
        if not isinstance(items, list):
            raise InvalidParameterError(f"schema must be a JSON list, got {text[:80]!r}")
        return cls([_spec_from_dict(item) for item in items])


def _spec_from_dict(item: Any) -> ColSpec | TensorSpec:
    if not isinstance(item, dict) or "type" not in item:
        raise InvalidParameterError(f"schema entry {item!r} is not a column or tensor spec")
    if item["type"] == "tensor":
        return TensorSpec.from_json_dict(item)
    return ColSpec.from_json_dict(item)
