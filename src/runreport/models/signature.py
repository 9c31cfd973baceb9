"""Model signatures: what a model takes, returns and accepts as parameters.

``from runreport.models.signature import infer_signature`` works as MLflow's tutorial spells it.
``ModelSignature.to_dict()`` is the ``signature:`` mapping of ``MLmodel``: each of ``inputs``,
``outputs`` and ``params`` is a JSON string in MLflow's column-spec / tensor-spec format.
"""

from __future__ import annotations

from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.models.inference import infer_schema
from runreport.models.params import ParamSchema, ParamSpec, infer_param_schema
from runreport.models.schema import ColSpec, DataType, Schema, TensorSpec

__all__ = [
    "ColSpec",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
]


class ModelSignature:
    """Input schema, optional output schema and optional params schema of a model."""

    def __init__(
        self,
        inputs: Schema | None = None,
        outputs: Schema | None = None,
        params: ParamSchema | None = None,
    ) -> None:
        for label, value, kind in (
            ("inputs", inputs, Schema),
            ("outputs", outputs, Schema),
            ("params", params, ParamSchema),
        ):
            if value is not None and not isinstance(value, kind):
                raise InvalidParameterError(
                    f"signature {label} must be a {kind.__name__} or None, "
                    f"got {type(value).__name__}"
                )
        if inputs is None and outputs is None:
            raise InvalidParameterError("a signature needs inputs or outputs")
        self.inputs = inputs
        self.outputs = outputs
        self.params = params

    def to_dict(self) -> dict[str, str | None]:
        """The ``signature:`` mapping of MLmodel (JSON strings, None where absent)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        """Read the ``signature:`` mapping MLflow or runreport wrote."""
        if not isinstance(data, dict):
            raise InvalidParameterError(f"a signature must be a mapping, got {data!r}")
        inputs, outputs, params = (data.get(k) for k in ("inputs", "outputs", "params"))
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            ParamSchema.from_json(params) if params else None,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSignature) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (
            f"inputs: \n  {self.inputs!r}\noutputs: \n  {self.outputs!r}\n"
            f"params: \n  {self.params!r}\n"
        )


def infer_signature(
    model_input: Any = None,
    model_output: Any = None,
    params: dict[str, Any] | None = None,
) -> ModelSignature:
    """Infer a signature from example input, output and params, as MLflow does.

    Args:
        model_input: a DataFrame, Series, numpy array, dict, list or scalar.
        model_output: the model's output on ``model_input`` (same kinds), or None.
        params: example inference parameters; their values become the defaults.

    Raises:
        InvalidParameterError: the data holds a type a signature cannot describe; the message
            names the column or parameter.
    """
    inputs = infer_schema(model_input) if model_input is not None else None
    outputs = infer_schema(model_output) if model_output is not None else None
    param_schema = infer_param_schema(params) if params else None
    return ModelSignature(inputs, outputs, param_schema)
