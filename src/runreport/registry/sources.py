"""Version sources: how they are recorded, resolved to model folders, and traced to runs.

A source is a ``runs:/<run_id>/<path>`` URI (recorded as given) or a local model folder, recorded
relative to the registry file's folder when it is inside it (so the file works in every clone)
and absolute otherwise. Relative sources are resolved against the registry file's folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError, RunReportError
from runreport.store.format import MAX_MLMODEL_BYTES

# The model package (runreport.models.uri) imports pandas; it is imported only when a source
# must be resolved on disk, so listing the registry stays fast.
RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
MLMODEL_FILE = "MLmodel"


def is_runs_uri(source: str) -> bool:
    """Whether ``source`` is a ``runs:/`` URI."""
    return source.startswith(RUNS_SCHEME)


def local_path(source: str, folder: Path) -> Path:
    """The absolute folder a path or ``file://`` source names (relative to ``folder``)."""
    from runreport.models.uri import local_path_from_uri

    path = local_path_from_uri(source)
    return path if path.is_absolute() else (folder / path).absolute()


def resolved_source(source: str, folder: Path) -> str:
    """The source as a URI a loader can open from any directory: runs:/ as is, else absolute.

    ``models:/m-...`` (an MLflow 3 logged model, the source MLflow's registry records) is kept
    as well; the model loader finds it in the MLflow store in use.
    """
    if is_runs_uri(source) or source.startswith(MODELS_SCHEME):
        return source
    return str(local_path(source, folder))


def record_source(model_uri: str, folder: Path, client: Any) -> str:
    """How ``model_uri`` is written into stages.yaml, after checking it names a model folder.

    Args:
        model_uri: a ``runs:/`` URI, or a local path (relative to the current directory) or
            ``file://`` URI.
        folder: the registry file's folder.
        client: a ``runreport.Client`` whose runs folder ``runs:/`` URIs are looked up in.

    Raises:
        ResourceNotFoundError: the URI does not resolve to a folder holding an MLmodel file.
        InvalidParameterError: the URI is malformed or of an unsupported scheme.
    """
    from runreport.models.uri import local_path_from_uri, resolve_model_dir

    if model_uri.startswith(MODELS_SCHEME):
        raise InvalidParameterError(f"{model_uri!r} must be resolved before it is recorded")
    if is_runs_uri(model_uri):
        try:
            model_dir(model_uri, folder, client)
        except ResourceNotFoundError as exc:
            raise ResourceNotFoundError(f"model {model_uri!r}: {exc}") from None
        return model_uri
    path = Path(os.path.abspath(resolve_model_dir(local_path_from_uri(model_uri))))
    try:
        return path.relative_to(folder.absolute()).as_posix()
    except ValueError:
        return str(path)


def model_dir(source: str, folder: Path, client: Any) -> Path:
    """The model folder a recorded source names; ``runs:/`` URIs are looked up in ``client``.

    Raises:
        ResourceNotFoundError: no such run, folder or MLmodel file.
        InvalidParameterError: the source is malformed or leaves the run's artifacts.
    """
    from runreport.models.uri import local_path_from_uri, parse_runs_uri, resolve_model_dir

    if not is_runs_uri(source):
        return resolve_model_dir(str(local_path(source, folder)))
    run_id, artifact_path = parse_runs_uri(source)
    artifacts = local_path_from_uri(client.get_run(run_id).info.artifact_uri)
    target = artifacts.joinpath(*artifact_path.split("/")) if artifact_path else artifacts
    inside = artifacts.resolve()
    if target.resolve() != inside and inside not in target.resolve().parents:
        raise InvalidParameterError(f"source {source!r} points outside the run's artifacts")
    return resolve_model_dir(str(target))


def run_id_of(source: str, folder: Path) -> str | None:
    """The run a source comes from: from a ``runs:/`` URI, else from its MLmodel file (or None)."""
    if is_runs_uri(source):
        return source[len(RUNS_SCHEME) :].strip("/").partition("/")[0] or None
    return _mlmodel_run_id(local_path(source, folder) / MLMODEL_FILE)


def _mlmodel_run_id(path: Path) -> str | None:
    import yaml

    from runreport.registry.location import _read_regular

    try:
        text = _read_regular(path, MAX_MLMODEL_BYTES).decode("utf-8")
        data: Any = yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError, RecursionError):
        return None
    run_id = data.get("run_id") if isinstance(data, dict) else None
    return run_id if isinstance(run_id, str) and run_id else None


def source_problem(source: str, folder: Path, client: Any) -> str | None:
    """Why ``source`` does not lead to a model folder, or None when it does."""
    try:
        model_dir(source, folder, client)
    except RunReportError as exc:
        return f"source {source!r} does not resolve: {exc}"
    return None
