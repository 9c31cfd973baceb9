"""``runreport.pyfunc``: the generic model interface, as ``mlflow.pyfunc``.

``load_model(uri)`` loads any model runreport or MLflow saved with the sklearn flavor or as a
``PythonModel``; ``save_model``/``log_model`` store a custom :class:`PythonModel`;
``spark_udf(spark, uri)`` scores Spark DataFrame columns (the ``spark`` extra).
"""

from __future__ import annotations

from runreport.models import format as _fmt
from runreport.models.pyfunc import PyFuncModel, load_model
from runreport.models.python_model import (
    PythonModel,
    PythonModelContext,
    log_model,
    save_model,
)
from runreport.serving.spark import spark_udf

FLAVOR_NAME = _fmt.PYFUNC_FLAVOR

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]
