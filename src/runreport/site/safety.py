"""Escaping user data for the site: JSON inside ``<script>``, links, markdown.

Everything a user typed (names, params, tags, descriptions, artifact names) reaches the page
through one of these functions or through Jinja's autoescape; nothing is marked safe elsewhere.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SAFE_SCHEMES = ("http", "https")
_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")


def finite(value: float) -> float | str:
    """A float JSON can carry: NaN and infinities become ``"NaN"``, ``"Infinity"``..."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def to_json(data: Any) -> str:
    """Compact, sorted JSON that is safe inside ``<script>`` and in JS files.

    ``<``, ``>``, ``&`` and the line separators U+2028/2029 are written as ``\\u`` escapes, so
    no string can close a script element or open an HTML comment.
    """
    text = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group()], text)


def script_json(data: Any) -> Markup:
    """``to_json`` marked safe for a ``<script type="application/json">`` element."""
    return Markup(to_json(data))


def safe_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL, else None (no ``javascript:``, ``data:``...)."""
    if not value or any(ch.isspace() or ord(ch) < 32 for ch in value.strip()):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not parts.netloc:
        return None
    return text


def github_commit_url(remote: str | None, commit: str | None) -> str | None:
    """The GitHub page of ``commit`` when ``remote`` is a GitHub repository, else None."""
    if not remote or not commit or not _COMMIT.match(commit):
        return None
    match = _GITHUB_REMOTE.match(remote.strip())
    if match is None:
        return None
    owner, repo = match.group("owner"), match.group("repo")
    return f"https://github.com/{owner}/{repo}/commit/{commit}"


def github_repository(remote: str | None) -> str | None:
    """``https://github.com/owner/repo`` for a GitHub remote URL, else None."""
    match = _GITHUB_REMOTE.match(remote.strip()) if remote else None
    if match is None:
        return None
    return f"https://github.com/{match.group('owner')}/{match.group('repo')}"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (control characters, U+FFFE/FFFF, lone
    surrogates), which would make a whole feed unreadable; escaping is the template's job."""
    return _XML_INVALID.sub("\ufffd", value)


def path_href(path: str) -> str:
    """A relative path percent-encoded for an ``href`` (``a b/#.txt`` -> ``a%20b/%23.txt``)."""
    return quote(path, safe="/")


# ---------------------------------------------------------------- markdown


def _validate_link(url: str) -> bool:
    """Links in markdown: http(s), mailto and plain relative paths; nothing else."""
    text = url.strip()
    scheme = urlsplit(text).scheme.lower() if ":" in text else ""
    if scheme in ("http", "https", "mailto"):
        return True
    return not scheme and not text.startswith("//") and "\\" not in text


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md: Any = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.validateLink = _validate_link
    default_image = md.renderer.rules.get("image")

    def image(tokens: Any, idx: int, options: Any, env: Any) -> str:
        src = tokens[idx].attrGet("src") or ""
        if urlsplit(src).scheme or src.startswith("//"):
            # Remote images would make the page load something outside the site: link instead.
            href = Markup.escape(src)
            label = Markup.escape(tokens[idx].content or src)
            return f'<a href="{href}" rel="nofollow noopener">{label}</a>'
        return str(default_image(tokens, idx, options, env))

    md.renderer.rules["image"] = image
    default_link = md.renderer.rules.get("link_open")

    def link_open(tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "nofollow noopener")
        if default_link is not None:
            return str(default_link(tokens, idx, options, env))
        return str(md.renderer.renderToken(tokens, idx, options, env))

    md.renderer.rules["link_open"] = link_open
    return md


def render_markdown(text: str | None) -> Markup | None:
    """Markdown to HTML with raw HTML disabled and link schemes restricted; None when empty."""
    if not text or not text.strip():
        return None
    return Markup(_markdown().render(text))
