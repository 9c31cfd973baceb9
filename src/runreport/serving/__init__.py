"""Model serving with MLflow's protocols: a scoring server, batch scoring and Spark scoring.

- :func:`serve` runs ``POST /invocations`` (MLflow's scoring protocol) under uvicorn
  (``runreport serve``; the ``serve`` extra);
- :func:`create_app` is the ASGI app itself, to mount or test in-process;
- :func:`score_file` scores a CSV, JSON, JSON lines or Parquet file in chunks
  (``runreport predict``);
- :func:`spark_udf` scores Spark DataFrame columns (``runreport.pyfunc.spark_udf``; the
  ``spark`` extra).

Heavy and optional dependencies are imported only when one of these is called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "score_file", "serve", "spark_udf"]

_HOMES = {
    "create_app": "runreport.serving.app",
    "serve": "runreport.serving.server",
    "score_file": "runreport.serving.batch",
    "spark_udf": "runreport.serving.spark",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
