"""The site's shared assets: its own CSS and JavaScript, and the Vega bundle.

The Vega, Vega-Lite and vega-embed JavaScript comes from ``vl_convert.javascript_bundle()``
(a classic script defining ``window.vegaEmbed``), written once as ``assets/vega.js``. Making
the bundle takes seconds, so a rebuild keeps the file when the manifest says it came from the
same vl-convert version and its bytes are unchanged. With ``--self-contained`` every asset is
inlined into each page instead of linked.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from runreport.site import paths
from runreport.site.output import SiteWriter
from runreport.site.render import templates_dir

VEGA = "vega.js"
STYLESHEET = "site.css"
FAVICON = "favicon.svg"
OWN_ASSETS = (STYLESHEET, "site.js", "filter.js", "experiment.js", "run.js", "compare.js", FAVICON)
_CLOSING_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)
_CLOSING_STYLE = re.compile(r"</(style)", re.IGNORECASE)


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    import vl_convert

    return str(vl_convert.javascript_bundle())  # type: ignore[call-arg]  # snippet defaults


def vega_version() -> str:
    from importlib.metadata import version

    return version("vl-convert-python")


@dataclass(slots=True)
class Assets:
    """The asset files of one build and how pages refer to them."""

    self_contained: bool
    contents: dict[str, str] = field(default_factory=dict)

    def styles(self, page_path: str) -> list[str]:
        return [] if self.self_contained else [paths.href(page_path, paths.asset(STYLESHEET))]

    def scripts(self, page_path: str, names: list[str]) -> list[str]:
        if self.self_contained:
            return []
        return [paths.href(page_path, paths.asset(name)) for name in names]

    def inline_styles(self) -> list[Markup]:
        if not self.self_contained:
            return []
        return [inline_style(self.contents[STYLESHEET])]

    def inline_scripts(self, names: list[str]) -> list[Markup]:
        if not self.self_contained:
            return []
        return [inline_script(self.contents[name]) for name in names]


def prepare_assets(writer: SiteWriter, self_contained: bool) -> Assets:
    """Queue the asset files in ``writer``; return how pages link (or inline) them."""
    base = templates_dir() / "assets"
    assets = Assets(self_contained)
    for name in OWN_ASSETS:
        text = (base / name).read_text(encoding="utf-8")
        assets.contents[name] = text
        writer.add(paths.asset(name), text)
    _prepare_vega(writer, assets)
    writer.add(paths.NO_JEKYLL, "")
    return assets


def _prepare_vega(writer: SiteWriter, assets: Assets) -> None:
    target = writer.root / paths.asset(VEGA)
    version = vega_version()
    known = writer.previous_extra("vega") or {}
    if known.get("version") == version and target.is_file():
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() == known.get("sha256"):
            writer.keep([paths.asset(VEGA)])
            writer.extra["vega"] = known
            if assets.self_contained:
                assets.contents[VEGA] = data.decode("utf-8")
            return
    bundle = vega_bundle()
    writer.add(paths.asset(VEGA), bundle)
    digest = hashlib.sha256(bundle.encode("utf-8")).hexdigest()
    writer.extra["vega"] = {"version": version, "sha256": digest}
    assets.contents[VEGA] = bundle


def inline_script(text: str) -> Markup:
    """JavaScript for an inline ``<script>``: no ``</script`` can end the element early."""
    return Markup(_CLOSING_SCRIPT.sub(r"<\\/\1", text))


def inline_style(text: str) -> Markup:
    return Markup(_CLOSING_STYLE.sub(r"<\\/\1", text))


def asset_path(name: str) -> Path:
    return templates_dir() / "assets" / name
