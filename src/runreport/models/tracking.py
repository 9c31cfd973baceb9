"""``log_model`` for every flavor: save to a temporary folder, log it into the run, record it.

The run's ``mlflow.log-model.history`` tag gets one JSON entry per logged model (run_id,
artifact_path, utc_time_created, flavors, model_uuid, signature), as MLflow 2 recorded it. The
registry is imported only when ``registered_model_name`` is given.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from runreport.exceptions import InvalidParameterError, RunReportError
from runreport.models import format as fmt
from runreport.models.model import Model, ModelInfo

_logger = logging.getLogger(__name__)

# MLflow's limit on a tag value; the oldest history entries are dropped to stay under it.
MAX_TAG_VALUE_LENGTH = 8000

SaveFunction = Callable[[Path, Model], None]


def artifact_path_of(artifact_path: str | None, name: str | None) -> str:
    """The run-relative folder of the model, from ``artifact_path`` or MLflow 3's ``name``."""
    if artifact_path is not None and name is not None and artifact_path != name:
        raise InvalidParameterError(
            f"artifact_path {artifact_path!r} and name {name!r} disagree; give only name "
            "(MLflow 3) or only artifact_path"
        )
    chosen = name if name is not None else artifact_path
    if not chosen or not isinstance(chosen, str):
        raise InvalidParameterError("log_model needs name (or artifact_path), e.g. name='model'")
    pure = PurePosixPath(chosen.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or chosen.startswith("~"):
        raise InvalidParameterError(
            f"artifact path {chosen!r} must be relative to the run's artifacts, without '..'"
        )
    return pure.as_posix()


def _current_run_id() -> str:
    from runreport.tracking import fluent

    run = fluent.active_run()
    if run is None:
        run = fluent.start_run()
    return run.info.run_id


def log_saved_model(
    save: SaveFunction,
    artifact_path: str | None,
    name: str | None,
    registered_model_name: str | None = None,
) -> ModelInfo:
    """Save with ``save`` into a temporary folder, log it into the active run, record it."""
    from runreport.tracking import fluent

    path = artifact_path_of(artifact_path, name)
    run_id = _current_run_id()
    model = Model(artifact_path=path, run_id=run_id)
    with tempfile.TemporaryDirectory(prefix="runreport-model-") as tmp:
        local_dir = Path(tmp) / "model"
        save(local_dir, model)
        fluent.log_artifacts(str(local_dir), path)
    _record_history(run_id, model)
    info = model.get_model_info(f"runs:/{run_id}/{path}")
    if registered_model_name is not None:
        info.registered_model_version = _register(info.model_uri, registered_model_name)
    return info


def history_entry(model: Model) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "run_id": model.run_id,
        "artifact_path": model.artifact_path,
        "utc_time_created": model.utc_time_created,
        "flavors": model.flavors,
        "model_uuid": model.model_uuid,
    }
    if model.signature is not None:
        entry["signature"] = model.signature.to_dict()
    return entry


def history_value(existing: str | None, entry: dict[str, Any]) -> str:
    """The new tag value: the existing JSON list plus ``entry``, trimmed to the tag limit."""
    try:
        entries = json.loads(existing) if existing else []
    except ValueError:
        entries = []
    if not isinstance(entries, list):
        entries = []
    entries.append(entry)
    value = json.dumps(entries)
    while len(value) > MAX_TAG_VALUE_LENGTH and len(entries) > 1:
        entries.pop(0)
        value = json.dumps(entries)
    if len(value) > MAX_TAG_VALUE_LENGTH:
        entries[-1] = {k: v for k, v in entry.items() if k != "signature"}
        value = json.dumps(entries)
    return value


def _record_history(run_id: str, model: Model) -> None:
    from runreport.tracking import fluent
    from runreport.tracking.client import Client

    existing = Client().get_run(run_id).data.tags.get(fmt.LOG_MODEL_HISTORY_TAG)
    fluent.set_tag(fmt.LOG_MODEL_HISTORY_TAG, history_value(existing, history_entry(model)))


def _register(model_uri: str, name: str) -> int | None:
    try:
        from runreport import register_model  # type: ignore[attr-defined]
    except ImportError:
        raise RunReportError(
            f"registered_model_name={name!r} needs runreport's model registry "
            "(runreport.register_model), which is not available in this installation. The "
            f"model was logged to {model_uri}; register it once the registry is installed."
        ) from None
    version = register_model(model_uri, name)
    number = getattr(version, "version", None)
    return int(number) if number is not None else None
