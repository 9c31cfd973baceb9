"""The generic model interface: ``load_model(uri).predict(data, params=None)``.

:class:`PyFuncModel` checks input against the model's signature (see
:mod:`runreport.models.enforcement`) and calls the flavor's implementation, chosen from MLmodel's
``loader_module`` by a fixed table: MLflow's ``mlflow.sklearn`` and ``mlflow.pyfunc.model`` map
to runreport's loaders, so models saved by either tool load here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.models import format as fmt
from runreport.models.enforcement import enforce_params, enforce_schema
from runreport.models.loader import flavor_config, model_dir_for, pyfunc_loader
from runreport.models.model import Model


class PyFuncModel:
    """A loaded model: ``predict``, its MLmodel (``metadata``) and ``loader_module``."""

    def __init__(
        self, model_meta: Model, model_impl: Any, loader_module: str, model_dir: Path
    ) -> None:
        self._model_meta = model_meta
        self._model_impl = model_impl
        self.loader_module = loader_module
        self.model_dir = model_dir

    @property
    def metadata(self) -> Model:
        return self._model_meta

    @property
    def model_config(self) -> dict[str, Any]:
        context = getattr(self._model_impl, "context", None)
        return dict(getattr(context, "model_config", None) or {})

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        """Check ``data`` (and ``params``) against the signature, then predict.

        Args:
            data: a DataFrame, numpy array, dict (column -> values, or column -> scalar for one
                row, or name -> array for named tensors) or list (of records, or of values).
            params: inference parameters, checked against the signature's params schema.

        Raises:
            InvalidParameterError: the input does not fit the signature; the message names the
                missing columns, or the column and both types of an unsafe conversion.
        """
        input_schema = self._model_meta.get_input_schema()
        if input_schema is not None:
            data = enforce_schema(data, input_schema)
        checked = enforce_params(params, self._model_meta.get_params_schema())
        return self._model_impl.predict(data, params=checked)

    def unwrap_python_model(self) -> Any:
        """The PythonModel instance behind this model (custom Python models only)."""
        python_model = getattr(self._model_impl, "python_model", None)
        if python_model is None:
            raise InvalidParameterError(
                f"this model was loaded by {self.loader_module}, not from a PythonModel"
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The underlying model object (the estimator of an sklearn model)."""
        get_raw = getattr(self._model_impl, "get_raw_model", None)
        return get_raw() if get_raw is not None else self.unwrap_python_model()

    def __repr__(self) -> str:
        lines = ["runreport.pyfunc.loaded_model:"]
        if self._model_meta.artifact_path:
            lines.append(f"  artifact_path: {self._model_meta.artifact_path}")
        lines.append(f"  flavor: {self.loader_module}")
        if self._model_meta.run_id:
            lines.append(f"  run_id: {self._model_meta.run_id}")
        return "\n".join(lines)


def load_model(
    model_uri: str | os.PathLike[str],
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: dict[str, Any] | None = None,
) -> PyFuncModel:
    """Load a model saved by runreport or MLflow as a :class:`PyFuncModel`.

    Args:
        model_uri: a local path, ``file://`` URI, ``runs:/<run_id>/<path>`` or ``models:/`` URI.
        suppress_warnings: accepted for MLflow compatibility.
        dst_path: copy the model directory here first (the copy is loaded).
        model_config: overrides the saved model_config of a PythonModel.

    Raises:
        ResourceNotFoundError: no model at ``model_uri`` (the message lists what exists).
        InvalidParameterError: the model's loader_module or file format is not supported.
        ModelIntegrityError: a model file no longer matches ``checksums.sha256``.
    """
    model_dir = model_dir_for(model_uri, dst_path)
    model = Model.load(model_dir)
    conf = flavor_config(model, fmt.PYFUNC_FLAVOR, model_dir)
    loader_module = conf.get("loader_module")
    implementation = pyfunc_loader(loader_module, model_dir)(model_dir, model, model_config)
    return PyFuncModel(model, implementation, str(loader_module), model_dir)
