"""Model URIs to local model directories.

Accepted: plain paths, ``file://`` URIs, ``runs:/<run_id>/<path>`` (a folder of the run's
artifacts) and ``models:/<name>/<version or stage or @alias>`` (resolved by
:func:`runreport.registry.resolve_model_uri`, imported only when such a URI is used).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.models import format as fmt

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
_LOGGED_MODEL = re.compile(r"models:/m-[0-9a-f]{8,64}/?")


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> ``(run_id, path)``; path is "" for the artifact root."""
    rest = uri[len(RUNS_SCHEME) :].strip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise InvalidParameterError(
            f"model URI {uri!r} has no run id; expected runs:/<run_id>/<artifact path>"
        )
    return run_id, path.strip("/")


def local_path_from_uri(uri: str) -> Path:
    """The local path a plain path or ``file://`` URI names."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise InvalidParameterError(
                f"file URI {uri!r} names host {parsed.netloc!r}; only local files are supported"
            )
        return Path(unquote(parsed.path))
    return Path(os.path.expanduser(uri))


def run_artifacts_dir(run_id: str) -> Path:
    """The local artifacts folder of run ``run_id`` (ResourceNotFoundError if no such run)."""
    from runreport.tracking.client import Client

    try:
        run = Client().get_run(run_id)
    except ResourceNotFoundError as exc:
        raise ResourceNotFoundError(f"runs:/{run_id}: {exc}") from None
    return local_path_from_uri(run.info.artifact_uri)


def _listing(folder: Path) -> str:
    if not folder.is_dir():
        return "nothing"
    return ", ".join(sorted(p.name for p in folder.iterdir())) or "nothing"


def _runs_dir(uri: str) -> Path:
    run_id, path = parse_runs_uri(uri)
    artifacts = run_artifacts_dir(run_id)
    target = artifacts.joinpath(*path.split("/")) if path else artifacts
    root = artifacts.resolve()
    if target.resolve() != root and root not in target.resolve().parents:
        raise InvalidParameterError(f"model URI {uri!r} points outside the run's artifacts")
    if not target.is_dir():
        logged = _logged_models_of_run(run_id).get(path)
        if logged is not None:
            return logged
        raise ResourceNotFoundError(
            f"model URI {uri!r}: run {run_id} has no artifact folder {path!r}; its top-level "
            f"artifacts are: {_listing(artifacts)}"
        )
    return target


def _logged_models_of_run(run_id: str) -> dict[str, Path]:
    """MLflow 3 keeps a run's models outside its artifacts; MLflow sources know where."""
    from runreport.tracking.client import Client

    source = getattr(Client(), "source", None)
    return source.model_dirs(run_id) if source is not None else {}


def _logged_model_dir(uri: str) -> Path | None:
    """``models:/m-<id>``: an MLflow 3 logged model of the MLflow source in use, if any."""
    from runreport.tracking.client import Client

    model_id = uri[len(MODELS_SCHEME) :].strip("/")
    source = getattr(Client(), "source", None)
    finder = getattr(source, "logged_model_dir", None)
    return finder(model_id) if finder is not None else None


def _models_dir(uri: str) -> Path:
    if _LOGGED_MODEL.fullmatch(uri):
        found = _logged_model_dir(uri)
        if found is not None:
            return found
    try:
        from runreport.registry import resolve_model_uri  # type: ignore[attr-defined]
    except ImportError:
        raise InvalidParameterError(
            f"model URI {uri!r} names a registered model, and models:/ URIs need "
            "runreport's model registry, which is not available in this installation; use a "
            "runs:/<run_id>/<path> URI or a local path"
        ) from None
    resolved = resolve_model_uri(uri)
    if _LOGGED_MODEL.fullmatch(str(resolved)):  # an MLflow 3 registry's source
        found = _logged_model_dir(str(resolved))
        if found is not None:
            return found
    if str(resolved).startswith(MODELS_SCHEME):
        raise InvalidParameterError(f"the registry resolved {uri!r} to another models:/ URI")
    return resolve_model_dir(str(resolved))


def resolve_model_dir(model_uri: str | os.PathLike[str]) -> Path:
    """The local directory of the model at ``model_uri``; it must hold an MLmodel file.

    Raises:
        ResourceNotFoundError: no such run, folder or MLmodel file; the message lists what
            exists instead.
        InvalidParameterError: the URI is malformed or of an unsupported scheme.
    """
    uri = os.fspath(model_uri)
    if not isinstance(uri, str) or not uri:
        raise InvalidParameterError(f"model URI {model_uri!r} is empty or not a string")
    if uri.startswith(MODELS_SCHEME):
        return _models_dir(uri)
    if uri.startswith("runs:"):
        if not uri.startswith(RUNS_SCHEME):
            raise InvalidParameterError(f"model URI {uri!r} must look like runs:/<run_id>/<path>")
        target = _runs_dir(uri)
    else:
        _check_scheme(uri)
        target = local_path_from_uri(uri)
    return _checked_model_dir(uri, target)


def _check_scheme(uri: str) -> None:
    scheme = urlparse(uri).scheme
    if scheme and scheme != "file" and len(scheme) > 1:  # one letter: a Windows drive
        raise InvalidParameterError(
            f"model URI {uri!r} has scheme {scheme!r}; runreport loads models from local "
            "paths, file://, runs:/ and models:/ URIs"
        )


def _checked_model_dir(uri: str, target: Path) -> Path:
    if target.is_file() and target.name == fmt.MLMODEL_FILE:
        target = target.parent
    if not target.is_dir():
        parent = target.parent
        raise ResourceNotFoundError(
            f"model {uri!r}: no directory {target}; {parent} holds: {_listing(parent)}"
        )
    if not (target / fmt.MLMODEL_FILE).is_file():
        raise ResourceNotFoundError(
            f"model {uri!r}: {target} has no {fmt.MLMODEL_FILE} file, so it is not a model "
            f"directory; it holds: {_listing(target)}"
        )
    return target
