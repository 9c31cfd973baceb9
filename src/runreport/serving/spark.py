"""``runreport.pyfunc.spark_udf``: score Spark DataFrame columns with a model, as MLflow does.

The UDF is a pandas UDF in iterator form: each Spark Python worker loads the model once
(:mod:`runreport.serving.spark_worker` caches it per process) and scores Arrow batches with the
same signature check as ``pyfunc.load_model(uri).predict``. How columns reach the model:

- ``udf(struct("a", "b"))``: by the struct's field names;
- ``udf("a", "b")`` or ``udf(col("a"), col("b"))``: by the Spark column names when any of them
  is a signature input name (order does not matter, a missing input is an error naming it);
  when none is, by position in signature order, as MLflow always does for plain arguments;
- ``udf()``: the signature's input names.

On a local master the workers read the model folder in place; on a cluster it is zipped and
shipped with ``SparkContext.addFile`` (``addArtifacts`` on Spark Connect), so a model folder or
``runs:/``/``models:/`` URI only has to be readable on the driver.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Tuple, Union  # noqa: UP035 - pandas_udf reads these type hints

import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.models.enforcement import enforce_params
from runreport.models.model import Model
from runreport.models.schema import ColSpec, DataType, Schema, TensorSpec
from runreport.serving.spark_worker import ModelLocation, UdfSpec, score_batches

RESULT_TYPES = ("double", "float", "int", "long", "string", "boolean")
_ALIASES = {"integer": "int", "bigint": "long", "bool": "boolean"}
_ENV_MANAGERS = (None, "local")


def spark_udf(
    spark: Any,
    model_uri: str | os.PathLike[str],
    result_type: Any = "double",
    env_manager: str | None = None,
    params: dict[str, Any] | None = None,
    model_config: dict[str, Any] | None = None,
) -> Callable[..., Any]:
    """A Spark UDF that scores DataFrame columns with the model at ``model_uri``.

    Args:
        spark: the SparkSession.
        model_uri: a local path, ``runs:/`` or ``models:/`` URI, resolved on the driver.
        result_type: ``double`` (default), ``float``, ``int``, ``long``, ``string``,
            ``boolean``, ``array<...>`` of these (a DDL string or a pyspark DataType), or
            ``None`` to take it from the model's output signature.
        env_manager: ``None`` or ``"local"``: workers use their own Python environment.
        params: inference parameters, checked against the signature on the driver.
        model_config: overrides the model config of a PythonModel.

    Raises:
        InvalidParameterError: an unsupported result type, env manager or params.
        MissingExtraError: pyspark is not installed (the ``spark`` extra).
    """
    from runreport.models.uri import resolve_model_dir
    from runreport.serving.server import require

    require("pyspark", "spark", "runreport.pyfunc.spark_udf")
    _check_env_manager(env_manager)
    model_dir = resolve_model_dir(model_uri)
    model = Model.load(model_dir)
    element, is_array = parse_result_type(result_type, model.get_output_schema())
    spec = _spec(model, _locate(spark, model_dir), element, is_array, params, model_config)
    caller = _Caller(spec, _spark_type(element, is_array))
    caller.metadata = model  # type: ignore[attr-defined]  # as MLflow's udf.metadata
    return caller


def _spec(
    model: Model,
    location: ModelLocation,
    element: str,
    is_array: bool,
    params: dict[str, Any] | None,
    model_config: dict[str, Any] | None,
) -> UdfSpec:
    schema = model.get_input_schema()
    named = schema is not None and schema.has_input_names()
    return UdfSpec(
        location=location,
        input_names=tuple(str(n) for n in schema.input_names()) if named else (),  # type: ignore[union-attr]
        required_names=tuple(str(n) for n in schema.required_input_names()) if named else (),  # type: ignore[union-attr]
        arg_names=None,
        positional=False,
        element=element,
        is_array=is_array,
        params=enforce_params(params, model.get_params_schema()),
        model_config=model_config,
    )


class _Caller:
    """What ``spark_udf`` returns: ``udf(*columns)`` gives the prediction Column."""

    def __init__(self, spec: UdfSpec, return_type: Any) -> None:
        self.spec = spec
        self.return_type = return_type

    def __call__(self, *args: Any) -> Any:
        from pyspark.sql.functions import struct

        spec = self.spec
        if not args:
            names = _signature_names(spec)
            return self._udf(_replace(spec, arg_names=names))(*names)
        if all(isinstance(a, str) for a in args):
            return self._udf(_replace(spec, arg_names=tuple(args), positional=True))(*args)
        if len(args) == 1:  # one Column: a struct of named fields, or a single input
            return self._udf(_replace(spec, positional=True))(args[0])
        return self._udf(_replace(spec, positional=True))(struct(*args))

    def _udf(self, spec: UdfSpec) -> Any:
        from pyspark.sql.functions import pandas_udf

        def predict(
            batches: Iterator[Tuple[Union[pd.Series, pd.DataFrame], ...]],  # noqa: UP006, UP007
        ) -> Iterator[pd.Series]:
            return score_batches(batches, spec)

        return pandas_udf(predict, self.return_type)  # type: ignore[call-overload]


def _replace(spec: UdfSpec, **changes: Any) -> UdfSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def _signature_names(spec: UdfSpec) -> tuple[str, ...]:
    if not spec.input_names:
        raise InvalidParameterError(
            "Cannot apply the UDF without columns: the model signature does not name its inputs; "
            "call it with the input columns, e.g. udf('x1', 'x2') or udf(struct(...))"
        )
    if len(spec.required_names) < len(spec.input_names):
        raise InvalidParameterError(
            "Cannot apply the UDF without columns when the model signature has optional inputs; "
            f"call it with the columns to use among {list(spec.input_names)}"
        )
    return spec.input_names


def parse_result_type(result_type: Any, output_schema: Schema | None = None) -> tuple[str, bool]:
    """``(element, is_array)`` for a result type name, DDL string or pyspark DataType."""
    if result_type is None:
        return _from_output_schema(output_schema)
    text = result_type if isinstance(result_type, str) else result_type.simpleString()
    text = text.strip().lower()
    match = re.fullmatch(r"array\s*<\s*(\w+)\s*>", text)
    name = match.group(1) if match else text
    element = _ALIASES.get(name, name)
    if element not in RESULT_TYPES:
        allowed = ", ".join([*RESULT_TYPES, "array<...> of these"])
        raise InvalidParameterError(
            f"spark_udf result type {result_type!r} is not supported; expected one of {allowed}"
        )
    return element, match is not None


def _from_output_schema(schema: Schema | None) -> tuple[str, bool]:
    """MLflow's default: the result type the output signature implies, else ``double``."""
    if schema is None or len(schema.inputs) != 1:
        return "double", False
    spec = schema.inputs[0]
    if isinstance(spec, ColSpec) and isinstance(spec.type, DataType):
        names = {DataType.integer: "int", DataType.long: "long", DataType.float: "float"}
        names.update({DataType.string: "string", DataType.boolean: "boolean"})
        return names.get(spec.type, "double"), False
    if isinstance(spec, TensorSpec):
        kind = {"i": "long", "u": "long", "b": "boolean", "U": "string", "O": "string"}
        return kind.get(spec.type.kind, "double"), len(spec.shape) > 1
    return "double", False


def _spark_type(element: str, is_array: bool) -> Any:
    from pyspark.sql import types

    classes = {
        "double": types.DoubleType,
        "float": types.FloatType,
        "int": types.IntegerType,
        "long": types.LongType,
        "string": types.StringType,
        "boolean": types.BooleanType,
    }
    scalar = classes[element]()
    return types.ArrayType(scalar) if is_array else scalar


def _check_env_manager(env_manager: str | None) -> None:
    if env_manager in _ENV_MANAGERS:
        return
    raise InvalidParameterError(
        f"env_manager {env_manager!r} is not supported: runreport's spark_udf scores in the "
        "Spark workers' own Python environment (env_manager='local'); install the model's "
        "requirements (requirements.txt in the model folder) on the cluster instead"
    )


def _spark_context(spark: Any) -> Any:
    try:
        return spark.sparkContext
    except Exception:  # Spark Connect sessions have no SparkContext
        return None


def _is_local(spark: Any) -> bool:
    context = _spark_context(spark)
    return context is not None and str(context.master).startswith("local")


def _locate(spark: Any, model_dir: Path) -> ModelLocation:
    """The model folder as workers will find it: in place (local), or shipped as a zip."""
    if _is_local(spark):
        return ModelLocation(str(model_dir.resolve()))
    folder = tempfile.mkdtemp(prefix="runreport-udf-")
    base = os.path.join(folder, f"runreport-model-{uuid.uuid4().hex}")
    archive = shutil.make_archive(base, "zip", model_dir)
    context = _spark_context(spark)
    if context is not None:
        context.addFile(archive)
    else:
        spark.addArtifacts(archive, file=True)
    return ModelLocation(str(model_dir), os.path.basename(archive))
