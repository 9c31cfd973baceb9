"""The Jinja environment: templates from the installed ``runreport.templates`` package.

The templates live in the repository's top-level ``templates/`` folder, which the wheel ships
as the package ``runreport.templates`` (see ``pyproject.toml``). A source checkout that was not
installed (``PYTHONPATH=src``) falls back to that folder.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from runreport.site.safety import script_json

TEMPLATE_PACKAGE = "runreport.templates"


@lru_cache(maxsize=1)
def templates_dir() -> Path:
    """The folder holding ``base.html`` and ``assets/``."""
    try:
        import runreport.templates as package
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parents[3] / "templates"
        if (checkout / "base.html").is_file():
            return checkout
        raise
    return Path(next(iter(package.__path__)))


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = script_json
    return env


def render(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context))


@lru_cache(maxsize=1)
def templates_fingerprint() -> str:
    """A hash of every template and asset: a change means every page must be made again."""
    digest = hashlib.sha256()
    base = templates_dir()
    for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
