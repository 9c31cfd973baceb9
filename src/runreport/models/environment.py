"""``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` of a model, as MLflow lays them out.

Requirements are what loading and calling the model needs, pinned to the installed versions
(``scikit-learn==1.9.1``...). Unlike MLflow, runreport does not add ``mlflow`` (nor itself, when
the pickle does not need it): the model loads with either tool, and an environment built from
the file should not pull in a tracking server. To serve a model with ``mlflow models serve``,
pass ``extra_pip_requirements=["mlflow"]``.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from runreport.exceptions import InvalidParameterError
from runreport.models import format as fmt

Requirements = Sequence[str] | str | None


def pinned(distribution: str) -> str:
    """``name==version`` of an installed distribution, or the bare name if not installed."""
    try:
        return f"{distribution}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return distribution


def _requirement_lines(value: Sequence[str] | str, label: str) -> list[str]:
    if isinstance(value, str):
        path = Path(value)
        if not path.is_file():
            raise InvalidParameterError(
                f"{label} {value!r} is neither a list of requirements nor a requirements file"
            )
        lines = path.read_text(encoding="utf-8").splitlines()
        return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    items = list(value)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise InvalidParameterError(f"{label} must be a list of non-empty strings, got {value!r}")
    return [item.strip() for item in items]


def resolve_requirements(
    defaults: Sequence[str],
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
) -> list[str]:
    """The model's requirement lines: ``pip_requirements`` replaces the defaults, extras add."""
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidParameterError(
            "give pip_requirements (replaces the defaults) or extra_pip_requirements (adds to "
            "them), not both"
        )
    if pip_requirements is not None:
        return _requirement_lines(pip_requirements, "pip_requirements")
    extras = _requirement_lines(extra_pip_requirements or [], "extra_pip_requirements")
    return list(dict.fromkeys([*defaults, *extras]))


def _build_tools() -> list[str]:
    return [pinned("pip"), pinned("setuptools"), "wheel"]


def python_env(python_version: str | None = None) -> dict[str, Any]:
    return {
        "python": python_version or platform.python_version(),
        "build_dependencies": _build_tools(),
        "dependencies": [f"-r {fmt.REQUIREMENTS_FILE}"],
    }


def conda_env(requirements: Sequence[str], python_version: str | None = None) -> dict[str, Any]:
    pip_pin = pinned("pip").replace("==", "<=")
    return {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={python_version or platform.python_version()}",
            pip_pin,
            {"pip": list(requirements)},
        ],
        "name": "mlflow-env",
    }


def load_conda_env(conda: dict[str, Any] | str) -> dict[str, Any]:
    """A conda environment given as a dict or as the path of a YAML file."""
    if isinstance(conda, str):
        try:
            conda = yaml.safe_load(Path(conda).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidParameterError(f"cannot read conda_env {conda!r}: {exc}") from None
        except RecursionError:
            raise InvalidParameterError(
                f"cannot read conda_env {conda!r}: its YAML nests too deeply"
            ) from None
    if not isinstance(conda, dict):
        raise InvalidParameterError(f"conda_env must be a dict or a YAML file, got {conda!r}")
    return conda


def requirements_from_conda(conda: dict[str, Any] | str) -> list[str]:
    """The pip requirements listed in a conda environment's ``pip:`` entry."""
    dependencies = load_conda_env(conda).get("dependencies") or []
    pip_lists = [d["pip"] for d in dependencies if isinstance(d, dict) and "pip" in d]
    return [str(req) for reqs in pip_lists for req in reqs]


def write_environment(
    model_dir: Path, requirements: Sequence[str], conda: dict[str, Any] | str | None = None
) -> None:
    """Write MLflow's three environment files (``conda`` replaces the default conda.yaml)."""
    (model_dir / fmt.REQUIREMENTS_FILE).write_text("\n".join(requirements), encoding="utf-8")
    with (model_dir / fmt.PYTHON_ENV_FILE).open("w", encoding="utf-8") as handle:
        yaml.safe_dump(python_env(), handle, default_flow_style=False, sort_keys=False)
    content = load_conda_env(conda) if conda is not None else conda_env(requirements)
    with (model_dir / fmt.CONDA_ENV_FILE).open("w", encoding="utf-8") as handle:
        yaml.safe_dump(content, handle, default_flow_style=False)


def env_config() -> dict[str, str]:
    """The ``env:`` mapping of the python_function flavor."""
    return {"conda": fmt.CONDA_ENV_FILE, "virtualenv": fmt.PYTHON_ENV_FILE}
