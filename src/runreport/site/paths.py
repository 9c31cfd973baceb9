"""Where every page and file of the site lives, relative to the site root (one place).

All links in the site are relative, so it works at a domain root, under a GitHub Pages project
path (``/repo/``) and from ``file://``. Links name files (``runs/<id>.html``), never folders,
because ``file://`` shows a folder listing instead of its ``index.html``.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

from runreport.site.safety import path_href

HOME = "index.html"
NOT_FOUND = "404.html"
COMPARE = "compare.html"
REGISTRY = "registry.html"
CHANGELOG = "changelog.html"
CHANGELOG_FEED = "changelog.xml"
NO_JEKYLL = ".nojekyll"
MANIFEST = ".runreport-build.json"
ASSETS = "assets"

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def root_of(path: str) -> str:
    """The relative prefix from the page at ``path`` back to the site root."""
    return "../" * path.count("/")


def experiment_page(experiment_id: str) -> str:
    return f"experiments/{experiment_id}.html"


def experiment_file(experiment_id: str, name: str) -> str:
    return f"experiments/{experiment_id}/{name}"


def run_page(run_id: str) -> str:
    return f"runs/{run_id}.html"


def run_data(run_id: str) -> str:
    return f"runs/{run_id}.js"


def run_artifact(run_id: str, relative: str) -> str:
    return f"runs/{run_id}/artifacts/{relative}"


def asset(name: str) -> str:
    return f"{ASSETS}/{name}"


def model_page(name: str) -> str:
    """A file name for a registered model that is safe and unique for any model name."""
    slug = _SLUG_UNSAFE.sub("-", name.lower()).strip("-")[:60] or "model"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"models/{slug}-{digest}.html"


def href(from_page: str, target: str) -> str:
    """The shortest relative, percent-encoded link from the page at ``from_page`` to ``target``."""
    folder = posixpath.dirname(from_page) or "."
    relative = posixpath.relpath(target, folder)
    if target.endswith("/") and not relative.endswith("/"):
        relative += "/"
    return path_href(relative)
