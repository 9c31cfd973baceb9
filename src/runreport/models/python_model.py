"""Custom Python models: :class:`PythonModel`, its context, and their MLflow ``pyfunc`` layout.

The instance is cloudpickled to ``python_model.pkl``; artifacts are copied under
``artifacts/``; MLmodel's python_function flavor names ``loader_module: mlflow.pyfunc.model``
so MLflow loads the model too. Models MLflow saved this way load in runreport (their pickle
imports mlflow, so mlflow must be installed to unpickle them).
"""

from __future__ import annotations

import inspect
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.models import environment, saving
from runreport.models import format as fmt
from runreport.models.loader import checked_files, flavor_config, refuse_code_paths
from runreport.models.model import Model, ModelInfo
from runreport.models.signature import ModelSignature
from runreport.models.tracking import log_saved_model


@dataclass
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: artifact paths and the model config."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _TypeHints:
    """MLflow's loader reads ``python_model.predict_type_hints.input``; runreport has none."""

    input: Any = None
    output: Any = None


class PythonModel:
    """Base class of custom models: override ``predict`` (and ``load_context`` if needed).

    ``predict(self, context, model_input, params=None)`` and MLflow 3's
    ``predict(self, model_input, params=None)`` are both supported.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading; read artifacts from ``context.artifacts`` here."""

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError("a PythonModel subclass must define predict()")

    @property
    def predict_type_hints(self) -> _TypeHints:
        return _TypeHints()


def _takes_context(method: Any) -> bool:
    """MLflow's rule: ``context`` is passed if named so, or if two non-params inputs exist."""
    parameters = inspect.signature(method).parameters
    inputs = [p for p in parameters if p not in ("self", "params")]
    return "context" in parameters or len(inputs) == 2


def call_predict(python_model: Any, context: PythonModelContext, data: Any, params: Any) -> Any:
    method = python_model.predict
    kwargs = {"params": params} if "params" in inspect.signature(method).parameters else {}
    if _takes_context(method):
        return method(context, data, **kwargs)
    return method(data, **kwargs)


def _copy_artifacts(artifacts: dict[str, str], model_dir: Path) -> dict[str, dict[str, str]]:
    from runreport.models.uri import local_path_from_uri, parse_runs_uri, run_artifacts_dir

    saved: dict[str, dict[str, str]] = {}
    for key, uri in artifacts.items():
        if str(uri).startswith("runs:/"):
            run_id, rel = parse_runs_uri(str(uri))
            source = run_artifacts_dir(run_id).joinpath(*rel.split("/"))
        else:
            source = local_path_from_uri(str(uri))
        if not source.exists():
            raise InvalidParameterError(f"artifact {key!r}: {uri!r} does not exist")
        relative = f"{fmt.ARTIFACTS_DIR}/{source.name}"
        target = model_dir / fmt.ARTIFACTS_DIR / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
        else:
            shutil.copyfile(source, target)
        saved[key] = {"path": relative, "uri": str(uri)}
    return saved


def _check_artifacts(artifacts: Any) -> dict[str, str]:
    if artifacts is None:
        return {}
    if not isinstance(artifacts, dict) or not all(isinstance(k, str) for k in artifacts):
        raise InvalidParameterError(f"artifacts must map names to paths or URIs, got {artifacts!r}")
    names = [Path(str(v)).name for v in artifacts.values()]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidParameterError(
            f"artifacts must have distinct file names; repeated: {repeated}"
        )
    return artifacts


def default_requirements(python_model: Any) -> list[str]:
    """cloudpickle, numpy, pandas, and runreport when the pickle references its PythonModel."""
    names = ["cloudpickle", "numpy", "pandas"]
    if isinstance(python_model, PythonModel):
        names.append("runreport")
    return [environment.pinned(name) for name in names]


def _add_flavor(model: Model, artifacts: dict[str, Any], model_config: Any) -> None:
    import cloudpickle

    conf: dict[str, Any] = {
        "cloudpickle_version": cloudpickle.__version__,
        "code": None,
        "env": environment.env_config(),
        "loader_module": fmt.PYTHON_MODEL_LOADER,
        "python_model": fmt.PYTHON_MODEL_FILE,
        "python_version": saving.python_version(),
        "streamable": False,
    }
    if artifacts:
        conf["artifacts"] = artifacts
    if model_config:
        conf["model_config"] = model_config
    model.add_flavor(fmt.PYFUNC_FLAVOR, **conf)


def save_model(
    path: str | os.PathLike[str],
    python_model: PythonModel | None = None,
    artifacts: dict[str, str] | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    conda_env: dict[str, Any] | str | None = None,
    model_config: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
    """Save a :class:`PythonModel` instance and its artifacts as a model directory.

    Raises:
        InvalidParameterError: no python_model, or a bad argument; nothing is written.
        ResourceExistsError: ``path`` exists and is not empty.
    """
    if python_model is None or isinstance(python_model, (str, os.PathLike)):
        raise InvalidParameterError(
            "python_model must be a PythonModel instance (models-from-code files are not "
            f"supported), got {python_model!r}"
        )
    if model_config is not None and not isinstance(model_config, dict):
        raise InvalidParameterError(f"model_config must be a dict, got {model_config!r}")
    artifacts = _check_artifacts(artifacts)
    options = saving.SaveOptions(
        signature, input_example, pip_requirements, extra_pip_requirements, conda_env, metadata
    )
    options.validate()
    target = saving.check_target(path)
    requirements = options.requirements(default_requirements(python_model))
    model = mlflow_model if mlflow_model is not None else Model()
    with saving.staging_dir(target) as staging:
        saved = _copy_artifacts(artifacts, staging)
        _dump(python_model, staging / fmt.PYTHON_MODEL_FILE)
        predict = _example_predictor(staging, saved, model_config)
        saving.write_common(staging, model, options, predict)
        _add_flavor(model, saved, model_config)
        saving.finish(staging, model, options, requirements)


def _dump(python_model: Any, path: Path) -> None:
    import cloudpickle

    with path.open("wb") as handle:
        cloudpickle.dump(python_model, handle)


def _example_predictor(
    model_dir: Path, saved: dict[str, dict[str, str]], model_config: dict[str, Any] | None
) -> Any:
    """Predict with a fresh copy of the saved model, so signature inference leaves it untouched."""

    def predict(data: Any) -> Any:
        import cloudpickle

        with (model_dir / fmt.PYTHON_MODEL_FILE).open("rb") as handle:
            copy = cloudpickle.load(handle)
        paths = {k: str(model_dir / v["path"]) for k, v in saved.items()}
        context = PythonModelContext(paths, dict(model_config or {}))
        copy.load_context(context)
        return call_predict(copy, context, data, None)

    return predict


def log_model(
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    python_model: PythonModel | None = None,
    artifacts: dict[str, str] | None = None,
    registered_model_name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    conda_env: dict[str, Any] | str | None = None,
    model_config: dict[str, Any] | None = None,
    await_registration_for: int | None = None,
) -> ModelInfo:
    """Save a PythonModel and log it into the active run; see :func:`save_model`."""

    def save(local_dir: Path, model: Model) -> None:
        save_model(
            local_dir,
            python_model,
            artifacts,
            signature,
            input_example,
            pip_requirements,
            extra_pip_requirements,
            metadata,
            conda_env=conda_env,
            model_config=model_config,
            mlflow_model=model,
        )

    return log_saved_model(save, artifact_path, name, registered_model_name)


class PythonModelPyfunc:
    """A loaded PythonModel behind the pyfunc interface."""

    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return call_predict(self.python_model, self.context, data, params)


def load_pyfunc(model_dir: Path, model: Model, model_config: dict[str, Any] | None) -> Any:
    """Unpickle ``python_model.pkl`` (checksum-verified) and call its ``load_context``."""
    import cloudpickle

    conf = flavor_config(model, fmt.PYFUNC_FLAVOR, model_dir)
    refuse_code_paths(conf, model_dir)
    if conf.get("python_model") is None:
        raise InvalidParameterError(
            f"the model in {model_dir} names no python_model file (a models-from-code model?); "
            "runreport loads pickled PythonModel instances only"
        )
    artifacts = conf.get("artifacts") or {}
    named = {"python_model": conf["python_model"]}
    named.update({f"artifact {k!r}": v.get("path") for k, v in artifacts.items()})
    files = checked_files(model_dir, named)
    with files["python_model"].open("rb") as handle:
        python_model = cloudpickle.load(handle)
    config = {**(conf.get("model_config") or {}), **(model_config or {})}
    context = PythonModelContext({k: str(files[f"artifact {k!r}"]) for k in artifacts}, config)
    python_model.load_context(context=context)
    return PythonModelPyfunc(python_model, context)
