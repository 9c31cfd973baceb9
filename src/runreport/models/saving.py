"""The steps every flavor's ``save_model`` shares.

Arguments are checked before anything is written. The model is built in a hidden sibling folder
and renamed into place at the end, so ``path`` never holds half a model; ``checksums.sha256`` is
written last, over every other file.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceExistsError
from runreport.models import environment
from runreport.models import format as fmt
from runreport.models.checksums import write_checksums
from runreport.models.example import save_input_example
from runreport.models.model import Model
from runreport.models.signature import ModelSignature, infer_signature

_logger = logging.getLogger(__name__)


@dataclass
class SaveOptions:
    """The arguments of ``save_model`` that do not depend on the flavor."""

    signature: ModelSignature | bool | None = None
    input_example: Any = None
    pip_requirements: Sequence[str] | str | None = None
    extra_pip_requirements: Sequence[str] | str | None = None
    conda_env: dict[str, Any] | str | None = None
    metadata: dict[str, Any] | None = None

    def validate(self) -> None:
        if self.signature not in (None, False) and not isinstance(self.signature, ModelSignature):
            raise InvalidParameterError(
                f"signature must be a ModelSignature (see infer_signature), None or False, "
                f"got {type(self.signature).__name__}"
            )
        if self.metadata is not None and not isinstance(self.metadata, dict):
            raise InvalidParameterError(
                f"metadata must be a dict, got {type(self.metadata).__name__}"
            )
        given = [self.pip_requirements, self.extra_pip_requirements, self.conda_env]
        if sum(v is not None for v in given) > 1:
            raise InvalidParameterError(
                "give at most one of conda_env, pip_requirements and extra_pip_requirements"
            )

    def requirements(self, defaults: Sequence[str]) -> list[str]:
        """The model's pip requirements: the flavor's defaults unless the caller chose."""
        if self.conda_env is not None:
            return environment.requirements_from_conda(self.conda_env)
        return environment.resolve_requirements(
            defaults, self.pip_requirements, self.extra_pip_requirements
        )


def check_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path; it must not exist, or be an empty directory."""
    target = Path(path)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ResourceExistsError(
            f"cannot save a model to {target}: it already exists and is not an empty directory"
        )
    return target


@contextmanager
def staging_dir(target: Path):  # type: ignore[no-untyped-def]
    """A hidden folder next to ``target`` that becomes ``target`` if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        if target.is_dir():
            target.rmdir()  # empty, checked before
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def signature_from_example(example: Any, predict: Callable[[Any], Any] | None) -> Any:
    """Infer a signature from an input example and the model's output on it, as MLflow does."""
    try:
        inputs = infer_signature(example).inputs
    except InvalidParameterError as exc:
        _logger.warning("Could not infer a signature from the input example: %s", exc)
        return None
    outputs = None
    if predict is not None:
        try:
            outputs = infer_signature(predict(example)).inputs
        except Exception as exc:  # the model failing on its example must not fail the save
            _logger.warning("Could not infer the output schema from the input example: %s", exc)
    return ModelSignature(inputs, outputs)


def write_common(
    model_dir: Path,
    model: Model,
    options: SaveOptions,
    predict: Callable[[Any], Any] | None,
) -> None:
    """Input example, signature and metadata into ``model`` and ``model_dir``."""
    signature = options.signature
    if options.input_example is not None:
        example, model.saved_input_example_info = save_input_example(
            model_dir, options.input_example
        )
        if signature is None:
            signature = signature_from_example(example, predict)
    model.signature = signature if isinstance(signature, ModelSignature) else None
    if options.metadata is not None:
        model.metadata = options.metadata


def finish(
    model_dir: Path, model: Model, options: SaveOptions, requirements: Sequence[str]
) -> None:
    """Environment files, MLmodel and checksums: the last steps of every save."""
    model.model_size_bytes = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    environment.write_environment(model_dir, requirements, options.conda_env)
    model.save(model_dir / fmt.MLMODEL_FILE)
    write_checksums(model_dir)


def python_version() -> str:
    return platform.python_version()
