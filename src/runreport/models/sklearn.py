"""The scikit-learn flavor: save, log and load estimators in MLflow's ``sklearn`` layout.

``MLmodel`` gets two flavors, as MLflow writes them: ``sklearn`` (``pickled_model``,
``sklearn_version``, ``serialization_format``, ``code``) and ``python_function`` with
``loader_module: mlflow.sklearn``, so ``mlflow.sklearn.load_model`` and
``mlflow.pyfunc.load_model`` load runreport's models. runreport saves with cloudpickle (or
pickle) and loads cloudpickle, pickle and, when the skops package is installed, skops (MLflow
3's default).
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.models import environment, saving
from runreport.models import format as fmt
from runreport.models.loader import (
    checked_files,
    deserialize,
    flavor_config,
    model_dir_for,
    refuse_code_paths,
)
from runreport.models.model import Model, ModelInfo
from runreport.models.signature import ModelSignature
from runreport.models.tracking import log_saved_model

_logger = logging.getLogger(__name__)

FLAVOR_NAME = fmt.SKLEARN_FLAVOR
SERIALIZATION_FORMAT_PICKLE = fmt.SERIALIZATION_PICKLE
SERIALIZATION_FORMAT_CLOUDPICKLE = fmt.SERIALIZATION_CLOUDPICKLE
SERIALIZATION_FORMAT_SKOPS = fmt.SERIALIZATION_SKOPS
SUPPORTED_SERIALIZATION_FORMATS = [SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_CLOUDPICKLE]


def get_default_pip_requirements(include_cloudpickle: bool = False) -> list[str]:
    """Pinned requirements of a saved estimator: scikit-learn and what loading it imports."""
    names = ["numpy", "pandas", "scikit-learn", "scipy"]
    if include_cloudpickle:
        names.append("cloudpickle")
    return [environment.pinned(name) for name in sorted(names)]


def _check_format(serialization_format: str) -> None:
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        hint = (
            "; runreport loads skops models but saves with cloudpickle or pickle"
            if serialization_format == SERIALIZATION_FORMAT_SKOPS
            else ""
        )
        raise InvalidParameterError(
            f"serialization_format {serialization_format!r} is not supported; expected one of "
            f"{', '.join(SUPPORTED_SERIALIZATION_FORMATS)}{hint}"
        )


def _write_estimator(sk_model: Any, path: Path, serialization_format: str) -> None:
    with path.open("wb") as handle:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            cloudpickle.dump(sk_model, handle)
        else:
            pickle.dump(sk_model, handle, protocol=pickle.DEFAULT_PROTOCOL)


def _add_flavors(model: Model, sk_model: Any, serialization_format: str, predict_fn: str) -> None:
    import sklearn

    if callable(getattr(sk_model, predict_fn, None)):
        model.add_flavor(
            fmt.PYFUNC_FLAVOR,
            loader_module=fmt.SKLEARN_LOADER,
            model_path=fmt.SKLEARN_PICKLE_FILE,
            env=environment.env_config(),
            python_version=saving.python_version(),
            predict_fn=predict_fn,
        )
    else:
        _logger.warning(
            "The model has no %r method; not adding the python_function flavor", predict_fn
        )
    model.add_flavor(
        FLAVOR_NAME,
        pickled_model=fmt.SKLEARN_PICKLE_FILE,
        sklearn_version=sklearn.__version__,
        serialization_format=serialization_format,
        code=None,
    )


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    serialization_format: str = SERIALIZATION_FORMAT_CLOUDPICKLE,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    conda_env: dict[str, Any] | str | None = None,
    mlflow_model: Model | None = None,
    pyfunc_predict_fn: str = "predict",
) -> None:
    """Save a scikit-learn estimator as a model directory at ``path``.

    Args:
        sk_model: a fitted estimator (anything picklable; ``predict`` makes it a pyfunc).
        path: a directory that does not exist yet (or is empty).
        serialization_format: "cloudpickle" (default) or "pickle".
        signature: a ModelSignature; inferred from ``input_example`` when None; False for none.
        input_example: a DataFrame, array, dict or list saved next to the model.
        pip_requirements: replace the default requirements (a list, or a requirements file).
        extra_pip_requirements: add to the default requirements.
        metadata: a dict stored in MLmodel.

    Raises:
        InvalidParameterError: a bad argument; nothing is written.
        ResourceExistsError: ``path`` exists and is not empty.
    """
    _check_format(serialization_format)
    options = saving.SaveOptions(
        signature, input_example, pip_requirements, extra_pip_requirements, conda_env, metadata
    )
    options.validate()
    target = saving.check_target(path)
    include_cloudpickle = serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE
    requirements = options.requirements(get_default_pip_requirements(include_cloudpickle))
    model = mlflow_model if mlflow_model is not None else Model()
    predict = getattr(sk_model, pyfunc_predict_fn, None)
    with saving.staging_dir(target) as staging:
        saving.write_common(staging, model, options, predict if callable(predict) else None)
        _write_estimator(sk_model, staging / fmt.SKLEARN_PICKLE_FILE, serialization_format)
        _add_flavors(model, sk_model, serialization_format, pyfunc_predict_fn)
        saving.finish(staging, model, options, requirements)


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    serialization_format: str = SERIALIZATION_FORMAT_CLOUDPICKLE,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    conda_env: dict[str, Any] | str | None = None,
    pyfunc_predict_fn: str = "predict",
    await_registration_for: int | None = None,
) -> ModelInfo:
    """Save ``sk_model`` and log it as artifacts of the active run (one is started if none).

    ``name`` is MLflow 3's spelling of ``artifact_path``; give one of them. Returns a ModelInfo
    whose ``model_uri`` is ``runs:/<run_id>/<artifact_path>``. With ``registered_model_name``
    the model is also registered under that name (``await_registration_for`` is accepted for
    MLflow compatibility: registration is immediate).

    Raises:
        InvalidParameterError: a bad argument; nothing is logged.
        RunReportError: ``registered_model_name`` was given and the registry is unavailable
            (the model is logged all the same).
    """

    def save(local_dir: Path, model: Model) -> None:
        save_model(
            sk_model,
            local_dir,
            serialization_format,
            signature,
            input_example,
            pip_requirements,
            extra_pip_requirements,
            metadata,
            conda_env=conda_env,
            mlflow_model=model,
            pyfunc_predict_fn=pyfunc_predict_fn,
        )

    return log_saved_model(save, artifact_path, name, registered_model_name)


def _load_estimator(model_dir: Path, model: Model, file_key: str | None = None) -> Any:
    conf = flavor_config(model, FLAVOR_NAME, model_dir)
    refuse_code_paths(conf, model_dir)
    relative = conf.get("pickled_model") if file_key is None else file_key
    files = checked_files(model_dir, {"pickled_model": relative})
    serialization_format = conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE)
    return deserialize(
        files["pickled_model"], serialization_format, conf.get("skops_trusted_types")
    )


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """Load the scikit-learn estimator of a model saved by runreport or MLflow.

    Args:
        model_uri: a local path, ``file://`` URI, ``runs:/<run_id>/<path>`` or ``models:/`` URI.
        dst_path: copy the model directory here first (the copy is loaded).

    Raises:
        ResourceNotFoundError: no model at ``model_uri``, or it has no sklearn flavor.
        ModelIntegrityError: a model file no longer matches ``checksums.sha256``.
    """
    model_dir = model_dir_for(model_uri, dst_path)
    return _load_estimator(model_dir, Model.load(model_dir))


class SklearnPyfunc:
    """A loaded estimator behind the pyfunc interface: ``predict`` calls ``predict_fn``."""

    def __init__(self, sk_model: Any, predict_fn: str = "predict") -> None:
        self.sklearn_model = sk_model
        self.predict_fn = predict_fn

    def get_raw_model(self) -> Any:
        return self.sklearn_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return getattr(self.sklearn_model, self.predict_fn)(data)


def load_pyfunc(model_dir: Path, model: Model, model_config: dict[str, Any] | None) -> Any:
    """The pyfunc implementation of an sklearn model (``loader_module: mlflow.sklearn``)."""
    conf = flavor_config(model, fmt.PYFUNC_FLAVOR, model_dir)
    if FLAVOR_NAME not in model.flavors:
        # An MLflow model with only a python_function flavor: MLflow assumes pickle.
        refuse_code_paths(conf, model_dir)
        files = checked_files(model_dir, {"model_path": conf.get("model_path")})
        estimator = deserialize(files["model_path"], SERIALIZATION_FORMAT_PICKLE)
    else:
        estimator = _load_estimator(model_dir, model, conf.get("model_path"))
    return SklearnPyfunc(estimator, conf.get("predict_fn", "predict"))
