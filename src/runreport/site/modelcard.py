"""Model cards: what a model folder (an ``MLmodel`` file and friends) shows on its run page."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from runreport.exceptions import RunFormatError, RunReportError
from runreport.site.pages import Field, ModelCard, Preview, RegisteredVersion, SchemaTable
from runreport.store.safe_read import read_head

EXAMPLE_ROWS = 10
EXAMPLE_BYTES = 64 * 1024
LINES_BYTES = 64 * 1024  # of a requirements file shown on a model card
_FLAVOR_KEYS = (
    "loader_module",
    "python_version",
    "sklearn_version",
    "serialization_format",
    "pickled_model",
    "model_path",
    "cloudpickle_version",
)

Registered = Callable[[str, str | None], Any]


def model_card(
    model_dir: Path,
    path: str,
    run_id: str,
    registered: Registered | None = None,
    published: Collection[str] | None = None,
) -> ModelCard:
    """The card of the model in ``model_dir`` (``path`` relative to the run's artifacts).

    ``published`` (artifact paths) limits the files the card reads besides ``MLmodel``: a
    requirements file or input example that is not published (a hard link, excluded...) is not
    shown either.
    """
    from runreport.models import Model
    from runreport.models import format as model_fmt

    versions = registered(run_id, path) if registered else []
    snippet = load_snippet(run_id, path, versions)
    try:
        model = Model.load(model_dir)
    except (RunReportError, OSError, ValueError, TypeError) as exc:
        return ModelCard(
            path, [], [], None, [], versions, snippet, f"MLmodel cannot be read: {exc}"
        )

    def shown(name: str) -> bool:
        rel = posixpath.normpath(f"{path}/{name}")
        return published is None or rel in published

    requirements = (
        _lines(model_dir / model_fmt.REQUIREMENTS_FILE)
        if shown(model_fmt.REQUIREMENTS_FILE)
        else []
    )
    info = model.saved_input_example_info
    if info and not shown(str(info.get("artifact_path", "input_example.json"))):
        info = None
    example = _input_example(model_dir, info)
    return ModelCard(
        path, _flavors(model.flavors), _schemas(model), example, requirements, versions, snippet
    )


def load_snippet(run_id: str, path: str, versions: list[RegisteredVersion]) -> str:
    uri = f"runs:/{run_id}/{path}"
    if versions:
        uri = f"models:/{versions[0].model}/{versions[0].version}"
    return (
        "import runreport  # or: import mlflow\n\n"
        f'model = runreport.pyfunc.load_model("{uri}")\n'
        "predictions = model.predict(data)"
    )


def _flavors(flavors: dict[str, Any]) -> list[Field]:
    out = []
    for name in sorted(flavors):
        details = flavors[name] if isinstance(flavors[name], dict) else {}
        shown = [f"{key} {details[key]}" for key in _FLAVOR_KEYS if details.get(key)]
        out.append(Field(name, ", ".join(str(s) for s in shown)))
    return out


def _schemas(model: Any) -> list[SchemaTable]:
    signature = model.signature
    if signature is None:
        return []
    tables = []
    for title, text in (
        ("Inputs", signature.to_dict().get("inputs")),
        ("Outputs", signature.to_dict().get("outputs")),
    ):
        if text:
            tables.append(_schema_table(title, json.loads(text)))
    params = signature.to_dict().get("params")
    if params:
        rows = [
            [
                str(p.get("name")),
                str(p.get("type")),
                json.dumps(p.get("default")),
                str(p.get("shape")),
            ]
            for p in json.loads(params)
        ]
        tables.append(SchemaTable("Params", ["name", "type", "default", "shape"], rows))
    return tables


def _schema_table(title: str, specs: list[dict[str, Any]]) -> SchemaTable:
    rows = []
    for index, spec in enumerate(specs):
        name = str(spec.get("name", index))
        if spec.get("type") == "tensor":
            tensor = spec.get("tensor-spec") or {}
            kind = f"tensor {tensor.get('dtype')} {tuple(tensor.get('shape') or ())}"
        else:
            kind = str(spec.get("type"))
        rows.append([name, kind, "required" if spec.get("required", True) else "optional"])
    return SchemaTable(title, ["name", "type", ""], rows)


def _input_example(model_dir: Path, info: dict[str, Any] | None) -> Preview | None:
    if not info:
        return None
    name = str(info.get("artifact_path", "input_example.json"))
    target = (model_dir / name).resolve()
    if model_dir.resolve() not in target.parents or target.is_symlink() or not target.is_file():
        return None
    try:
        data = json.loads(read_head(target, EXAMPLE_BYTES))
    except (OSError, RunFormatError):
        return None
    except ValueError:
        return Preview("note", note="input example is not valid JSON (or too large to show)")
    if isinstance(data, dict) and isinstance(data.get("columns"), list) and "data" in data:
        rows = [[_cell(v) for v in row] for row in data["data"][:EXAMPLE_ROWS]]
        return Preview("table", header=[str(c) for c in data["columns"]], rows=rows)
    return Preview("text", text=json.dumps(data, indent=2, ensure_ascii=False)[:EXAMPLE_BYTES])


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _lines(path: Path) -> list[str]:
    if path.is_symlink() or not path.is_file():
        return []
    try:
        text = read_head(path, LINES_BYTES).decode("utf-8", errors="replace")
    except (OSError, RunFormatError):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()][:200]
