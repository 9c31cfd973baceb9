"""``runreport.sklearn``: save, log and load scikit-learn models, as ``mlflow.sklearn`` does.

``import runreport.sklearn`` then ``runreport.sklearn.log_model(model, "model")`` works as in
MLflow. The implementation is in :mod:`runreport.models.sklearn`.
"""

from __future__ import annotations

from runreport.models.sklearn import (
    FLAVOR_NAME,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_SKOPS,
    SUPPORTED_SERIALIZATION_FORMATS,
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]
