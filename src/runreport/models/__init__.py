"""Models in MLflow's format: signatures, the MLmodel file, and model URIs.

``runreport.models`` mirrors ``mlflow.models``: :func:`infer_signature`, :class:`ModelSignature`,
:class:`Model` (an MLmodel file) and :class:`ModelInfo`. Flavors live in ``runreport.sklearn``
and ``runreport.pyfunc``; the on-disk layout is described in :mod:`runreport.models.format`.
"""

from __future__ import annotations

import os

from runreport.models.model import Model, ModelInfo
from runreport.models.params import ParamSchema, ParamSpec
from runreport.models.schema import ColSpec, DataType, Schema, TensorSpec
from runreport.models.signature import ModelSignature, infer_signature

__all__ = [
    "ColSpec",
    "DataType",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "get_model_info",
    "infer_signature",
]


def get_model_info(model_uri: str | os.PathLike[str]) -> ModelInfo:
    """The ModelInfo of the model at ``model_uri`` (read from its MLmodel file)."""
    from runreport.models.uri import resolve_model_dir

    model = Model.load(resolve_model_dir(model_uri))
    uri = os.fspath(model_uri)
    return model.get_model_info(uri)
