"""Shared loading steps: find the model, check its files, deserialize only what MLmodel names.

Nothing outside the model directory is ever loaded: file names from MLmodel must be relative
paths that stay inside it, and they must match ``checksums.sha256`` when the model has one.
``loader_module`` values are looked up in a fixed table (MLflow's names map to runreport's
loaders); no module named by a model file is ever imported.
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.models import format as fmt
from runreport.models.checksums import verify_model_files
from runreport.models.model import Model
from runreport.models.uri import resolve_model_dir


def model_dir_for(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Path:
    """The local directory of the model; copied under ``dst_path`` first when one is given."""
    source = resolve_model_dir(model_uri)
    if dst_path is None:
        return source
    target = Path(dst_path) / source.name
    shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
    return target


def model_file(model_dir: Path, relative: Any, what: str) -> Path:
    """``model_dir/relative`` for a file MLmodel names, checked to stay inside the model."""
    if not isinstance(relative, str) or not relative:
        raise InvalidParameterError(f"{model_dir}: MLmodel gives {what} as {relative!r}")
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise InvalidParameterError(
            f"{model_dir}: MLmodel names {what} {relative!r}, which is outside the model directory"
        )
    path = model_dir.joinpath(*pure.parts)
    root = model_dir.resolve()
    if root not in path.resolve().parents:
        raise InvalidParameterError(f"{model_dir}: {what} {relative!r} resolves outside the model")
    if not path.exists():
        raise ResourceNotFoundError(
            f"{model_dir}: MLmodel names {what} {relative!r}, which is missing"
        )
    if not (path.is_file() or path.is_dir()):  # a named pipe would block the load forever
        raise InvalidParameterError(
            f"{model_dir}: {what} {relative!r} is not a regular file or folder; refusing to load it"
        )
    return path


def flavor_config(model: Model, flavor: str, model_dir: Path) -> dict[str, Any]:
    conf = model.flavors.get(flavor)
    if not isinstance(conf, dict):
        raise ResourceNotFoundError(
            f"the model in {model_dir} has no {flavor!r} flavor; it has: "
            f"{', '.join(sorted(model.flavors)) or 'none'}"
        )
    return conf


def refuse_code_paths(conf: dict[str, Any], model_dir: Path) -> None:
    """MLflow's ``code`` key puts model-shipped Python files on sys.path; runreport does not."""
    if conf.get("code"):
        raise InvalidParameterError(
            f"the model in {model_dir} ships code ({conf['code']!r}) to be imported on load; "
            "runreport does not import code from model directories"
        )


def checked_files(model_dir: Path, named: dict[str, Any]) -> dict[str, Path]:
    """Resolve the files MLmodel names (what -> relative path) and verify their checksums."""
    paths = {what: model_file(model_dir, rel, what) for what, rel in named.items()}
    to_load = [p.relative_to(model_dir).as_posix() for p in paths.values() if p.is_file()]
    verify_model_files(model_dir, to_load)
    return paths


def deserialize(path: Path, serialization_format: str, trusted: list[str] | None = None) -> Any:
    """Load a serialized estimator in one of MLflow's sklearn serialization formats."""
    if serialization_format == fmt.SERIALIZATION_SKOPS:
        return _load_skops(path, trusted)
    if serialization_format not in (fmt.SERIALIZATION_PICKLE, fmt.SERIALIZATION_CLOUDPICKLE):
        raise InvalidParameterError(
            f"{path}: serialization format {serialization_format!r} is not supported; runreport "
            f"loads {', '.join(fmt.SERIALIZATION_FORMATS)}"
        )
    with path.open("rb") as handle:
        if serialization_format == fmt.SERIALIZATION_PICKLE:
            return pickle.load(handle)  # checksum-verified above
        import cloudpickle

        return cloudpickle.load(handle)


def _load_skops(path: Path, trusted: list[str] | None) -> Any:
    try:
        import skops.io
    except ImportError:
        raise InvalidParameterError(
            f"{path} is in the 'skops' format (MLflow 3's default for scikit-learn); install "
            "skops (pip install skops) to load it, or save the model with "
            "serialization_format='cloudpickle'"
        ) from None
    try:
        return skops.io.load(str(path), trusted=trusted)
    except Exception as exc:  # skops raises its own exception for untrusted types
        raise InvalidParameterError(f"{path}: skops refused to load the model: {exc}") from exc


PyfuncLoader = Callable[[Path, Model, "dict[str, Any] | None"], Any]


def pyfunc_loader(loader_module: Any, model_dir: Path) -> PyfuncLoader:
    """The runreport loader for an MLmodel ``loader_module`` (MLflow's or runreport's name)."""
    from runreport.models import python_model, sklearn

    loaders: dict[str, PyfuncLoader] = {
        fmt.SKLEARN_LOADER: sklearn.load_pyfunc,
        "runreport.sklearn": sklearn.load_pyfunc,
        fmt.PYTHON_MODEL_LOADER: python_model.load_pyfunc,
        "runreport.pyfunc.model": python_model.load_pyfunc,
    }
    try:
        return loaders[loader_module]
    except (KeyError, TypeError):
        raise InvalidParameterError(
            f"the model in {model_dir} has loader_module {loader_module!r}; runreport loads "
            f"{fmt.SKLEARN_LOADER} (scikit-learn) and {fmt.PYTHON_MODEL_LOADER} (PythonModel) "
            "models"
        ) from None
