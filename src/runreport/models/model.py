"""The ``MLmodel`` file (:class:`Model`) and what ``log_model`` returns (:class:`ModelInfo`).

Keys and their spelling are MLflow's. Keys runreport does not know are kept and written back, so
reading and re-saving an MLflow model's ``MLmodel`` loses nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError, RunFormatError
from runreport.models import format as fmt
from runreport.models.params import ParamSchema
from runreport.models.schema import Schema
from runreport.models.signature import ModelSignature
from runreport.store.format import MAX_MLMODEL_BYTES
from runreport.store.safe_read import read_file_and_stat

_KNOWN = (
    "artifact_path",
    "run_id",
    "utc_time_created",
    "flavors",
    "signature",
    "saved_input_example_info",
    "model_uuid",
    "metadata",
    "model_size_bytes",
)
# Written by MLflow next to ``signature``; runreport infers signatures only from data.
_SIGNATURE_FLAGS = ("is_signature_from_type_hint", "type_hint_from_example")


def utc_now_text() -> str:
    """The current UTC time in MLflow's ``utc_time_created`` format."""
    return datetime.now(timezone.utc).replace(tzinfo=None).strftime(fmt.TIME_FORMAT)


@dataclass
class ModelInfo:
    """What ``log_model`` returns: where the model went and what it is."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_uuid: str
    run_id: str
    saved_input_example_info: dict[str, Any] | None
    signature: ModelSignature | None
    utc_time_created: str
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None
    mlflow_version: str | None = None

    @property
    def name(self) -> str:
        """MLflow 3's name for ``artifact_path``."""
        return self.artifact_path

    @property
    def signature_dict(self) -> dict[str, str | None] | None:
        return self.signature.to_dict() if self.signature is not None else None


@dataclass
class Model:
    """An ``MLmodel`` file: flavors, signature, input example info, run and time of creation."""

    artifact_path: str | None = None
    run_id: str | None = None
    utc_time_created: str = field(default_factory=utc_now_text)
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    metadata: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature is not None else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(flavors=self.flavors, model_uuid=self.model_uuid)
        out["utc_time_created"] = self.utc_time_created
        optional = {
            "artifact_path": self.artifact_path,
            "run_id": self.run_id,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
            "model_size_bytes": self.model_size_bytes,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
            out.update(dict.fromkeys(_SIGNATURE_FLAGS, False))
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if not isinstance(data.get("flavors", {}), dict):
            raise InvalidParameterError(f"MLmodel 'flavors' must be a mapping, got {data!r}")
        signature = data.get("signature")
        extra = {k: v for k, v in data.items() if k not in _KNOWN and k not in _SIGNATURE_FLAGS}
        return cls(
            artifact_path=data.get("artifact_path"),
            run_id=data.get("run_id"),
            utc_time_created=str(data.get("utc_time_created") or utc_now_text()),
            flavors=dict(data.get("flavors") or {}),
            signature=ModelSignature.from_dict(signature) if signature else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            model_uuid=data.get("model_uuid") or uuid.uuid4().hex,
            metadata=data.get("metadata"),
            model_size_bytes=data.get("model_size_bytes"),
            extra=extra,
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the MLmodel file to ``path`` (a file path, or a model directory)."""
        target = Path(path)
        if target.is_dir():
            target = target / fmt.MLMODEL_FILE
        target.write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read an MLmodel file, or the one in a model directory or at a model URI."""
        target = Path(path)
        if not target.exists():
            from runreport.models.uri import resolve_model_dir

            target = resolve_model_dir(str(path))
        if target.is_dir():
            target = mlmodel_path(target)
        return cls.from_dict(read_mlmodel(target))

    def load_input_example(self, path: str | os.PathLike[str]) -> Any:
        """The saved input example of the model in directory ``path`` (None if it has none)."""
        from runreport.models.example import load_input_example

        return load_input_example(Path(path), self.saved_input_example_info)

    def get_model_info(self, model_uri: str | None = None) -> ModelInfo:
        uri = model_uri or f"runs:/{self.run_id}/{self.artifact_path}"
        return ModelInfo(
            artifact_path=self.artifact_path or "",
            flavors=self.flavors,
            model_uri=uri,
            model_uuid=self.model_uuid,
            run_id=self.run_id or "",
            saved_input_example_info=self.saved_input_example_info,
            signature=self.signature,
            utc_time_created=self.utc_time_created,
            metadata=self.metadata,
        )


def mlmodel_path(model_dir: Path) -> Path:
    """``model_dir/MLmodel``, or an error that lists what the directory holds instead."""
    target = model_dir / fmt.MLMODEL_FILE
    if not target.is_file():
        found = sorted(p.name for p in model_dir.iterdir()) if model_dir.is_dir() else []
        raise ResourceNotFoundError(
            f"{model_dir} is not a model directory: it has no {fmt.MLMODEL_FILE} file "
            f"(it holds: {', '.join(found) or 'nothing'})"
        )
    return target


def read_mlmodel(path: Path) -> dict[str, Any]:
    """Parse an MLmodel file; errors name the file.

    Only a regular file of at most ``MAX_MLMODEL_BYTES`` is read (a named pipe never blocks it).
    Parsed by PyYAML's pure-Python safe loader, whose recursion Python bounds: YAML nested too
    deeply for it is a RunFormatError. (libyaml's CSafeLoader is not used here: it recurses in C
    and can crash the process on such a file.)
    """
    text = read_file_and_stat(path, MAX_MLMODEL_BYTES, follow_symlinks=True)[0]
    try:
        data = yaml.safe_load(text.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RunFormatError(path, f"not valid YAML ({exc})") from None
    except RecursionError:
        raise RunFormatError(path, "not valid: its YAML nests too deeply") from None
    if not isinstance(data, dict):
        raise RunFormatError(path, "expected a YAML mapping at the top level")
    return data
