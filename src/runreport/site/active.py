"""Active-content artifacts: files a browser would run or render as a document with scripts.

A run's artifacts are published on the site's origin (on GitHub Pages, ``user.github.io`` is
shared by every project site of the user). An artifact such as ``report.html`` or ``plot.svg``
opened directly (its link, its address) would run its scripts there. So by default such a file
is published under its name plus :data:`TEXT_SUFFIX` (``report.html.txt``), which static hosts
serve as ``text/plain``: the same bytes, shown as text, never run. The run page lists it under
its own name with :data:`NOTE`; its preview stays (HTML in a sandboxed ``srcdoc`` frame, small
SVGs as a ``data:`` image, which an ``<img>`` never runs).

``site: {publish_active_artifacts: true}`` publishes them as they are.
"""

from __future__ import annotations

import posixpath

# Suffixes (compared case-insensitively) a browser runs or renders as a document with scripts.
ACTIVE_SUFFIXES = frozenset(
    {
        *(".html", ".htm", ".xhtml", ".xht", ".shtml"),
        *(".svg", ".svgz", ".xml", ".xsl", ".xslt"),
        *(".mht", ".mhtml", ".js", ".mjs"),
    }
)
TEXT_SUFFIX = ".txt"
CONFIG_KEY = "site.publish_active_artifacts"
NOTE = (
    f"shown as text: opened directly it would run on this site; set {CONFIG_KEY} to publish as is"
)
COLLISION = "its text copy's name is taken by another artifact: not published"


def is_active(name: str) -> bool:
    """Whether a browser would run the file ``name`` (a file or path name) as a document."""
    return posixpath.splitext(name)[1].lower() in ACTIVE_SUFFIXES


def text_name(path: str) -> str:
    """The name under which an active artifact at ``path`` is published as text."""
    return path + TEXT_SUFFIX
