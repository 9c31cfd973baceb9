"""A run's artifact tree for its page: what is published, and inline previews.

What is never copied into the site (listed on the page, marked "not published", never read
for a preview or a model card):

- symlinks (to files or folders), and anything that resolves outside the run's artifacts;
- regular files with more than one hard link: the other name may be outside the run folder
  (a hard link cannot be told from the original), so any file that ``stat`` says has other
  names is left out (runs converted from an MLflow store for the build are hard-linked to it:
  one link more is allowed there);
- anything but folders and regular files (sockets, devices, FIFOs);
- files larger than :data:`MAX_PUBLISHED_BYTES`.

Artifacts matched by an exclude glob (:mod:`.exclude`) are left out altogether: not listed,
previewed or shown in a model card. Artifacts a browser would run as a document (HTML, SVG,
XML, JavaScript...: :mod:`.active`) are published as text (``report.html.txt``) unless
``ScanRules.publish_active``. Previews share a byte budget per page so a run with many logs
keeps a small page. HTML previews are embedded with ``srcdoc`` in an ``<iframe sandbox="">``
under a Content Security Policy that allows no request at all; an SVG published as text is
previewed as a ``data:`` image (up to :data:`PREVIEW_BYTES`), since its ``.txt`` copy is served
as text and an ``<img>`` never runs scripts.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from runreport.exceptions import RunFormatError
from runreport.formatting import format_number
from runreport.site import active, paths
from runreport.site.exclude import Exclusions
from runreport.site.pages import ArtifactNode, ModelCard, Preview
from runreport.site.safety import render_markdown
from runreport.store.format import TEMP_PREFIX
from runreport.store.safe_read import read_head

MAX_PUBLISHED_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
PREVIEW_BYTES = 16 * 1024
PAGE_PREVIEW_BUDGET = 128 * 1024
TABLE_ROWS = 20
TABLE_COLUMNS = 20
MODEL_FILE = "MLmodel"
HARD_LINK = "hard link: not published"
BUDGET_NOTE = "preview left out: this page shows enough previews"
# The policy of an HTML preview's document: nothing is fetched, nothing runs (with the sandbox).
HTML_PREVIEW_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline' data:; font-src data:; "
    "media-src data:; base-uri 'none'; form-action 'none'"
)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp"})
IMAGE_TYPES = {".svg": "image/svg+xml", ".jpg": "image/jpeg"}  # else image/<suffix>
TEXT_SUFFIXES = frozenset(
    {".txt", ".log", ".out", ".err", ".py", ".cfg", ".ini", ".toml", ".sh", ".diff", ".rst"}
)
TEXT_NAMES = frozenset({MODEL_FILE, "requirements.txt", "LICENSE", "README"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One file or folder under ``artifacts/`` as found on disk (stat only, nothing read)."""

    path: str  # relative to artifacts/, "/"-separated
    is_dir: bool
    size: int
    mtime_ns: int
    problem: str = ""  # why it is not published ("" when it is)
    children: list[Entry] = field(default_factory=list)
    as_text: bool = False  # active content, published as text under :attr:`site_path`

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def site_path(self) -> str:
        """Where the file is published, relative to the run's artifacts in the site."""
        return active.text_name(self.path) if self.as_text else self.path

    def fingerprint(self) -> list[object]:
        own = [self.path, self.is_dir, self.size, self.mtime_ns, self.problem, self.as_text]
        return own + [child.fingerprint() for child in self.children]


@dataclass(frozen=True, slots=True)
class ScanRules:
    """What a scan leaves out: exclude globs, and how many names a published file may have;
    and whether active content (:mod:`.active`) is published as is or as text."""

    exclusions: Exclusions = field(default_factory=Exclusions)
    max_links: int = 1
    publish_active: bool = False


def scan(artifacts_dir: Path, rules: ScanRules | None = None) -> list[Entry]:
    """The artifact tree of one run (sorted by name), at most :data:`MAX_ENTRIES` entries."""
    if not artifacts_dir.is_dir() or artifacts_dir.is_symlink():
        return []
    walk = _Walk(artifacts_dir.resolve(), rules or ScanRules(), [MAX_ENTRIES])
    return walk.folder(artifacts_dir, "")


@dataclass(slots=True)
class _Walk:
    run_root: Path
    rules: ScanRules
    budget: list[int]

    def folder(self, folder: Path, prefix: str) -> list[Entry]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return []
        found = []
        for item in entries:
            rel = prefix + item.name
            if item.name.startswith(TEMP_PREFIX) or self.rules.exclusions.excludes(rel):
                continue
            if self.budget[0] <= 0:
                break
            self.budget[0] -= 1
            entry = self.entry(item, rel)
            if entry is not None:
                found.append(entry)
        return _refuse_taken_text_names(found)

    def entry(self, item: os.DirEntry[str], rel: str) -> Entry | None:
        if item.is_symlink():
            return Entry(rel, False, 0, 0, "symlink: not published")
        real = Path(os.path.realpath(item.path))
        if real != self.run_root and self.run_root not in real.parents:
            return Entry(rel, False, 0, 0, "outside the run folder: not published")
        try:
            st = item.stat(follow_symlinks=False)
        except OSError:
            return None  # removed since the folder was listed
        if stat.S_ISDIR(st.st_mode):
            children = self.folder(Path(item.path), rel + "/")
            if not children and self.rules.exclusions and _has_children(item.path):
                return None  # everything in it is excluded: leave the folder out too
            return Entry(rel, True, 0, st.st_mtime_ns, "", children)
        if not stat.S_ISREG(st.st_mode):
            return Entry(rel, False, 0, 0, "not a regular file: not published")
        problem = ""
        if st.st_nlink > self.rules.max_links:
            problem = HARD_LINK
        elif st.st_size > MAX_PUBLISHED_BYTES:
            problem = f"{format_bytes(st.st_size)}: too large to publish"
        as_text = not problem and not self.rules.publish_active and active.is_active(item.name)
        return Entry(rel, False, st.st_size, st.st_mtime_ns, problem, as_text=as_text)


def _refuse_taken_text_names(found: list[Entry]) -> list[Entry]:
    """Entries of one folder, an active file whose text name is a sibling's marked not
    published (``report.html`` beside ``report.html.txt``: one site path for two files)."""
    names = {entry.name for entry in found}
    return [
        replace(entry, problem=active.COLLISION, as_text=False)
        if entry.as_text and active.text_name(entry.name) in names
        else entry
        for entry in found
    ]


def _has_children(path: str) -> bool:
    try:
        with os.scandir(path) as found:
            return any(not e.name.startswith(TEMP_PREFIX) for e in found)
    except OSError:
        return False


def published_files(entries: list[Entry]) -> list[str]:
    """Relative paths (inside the run's artifacts) of every file that is copied into the site."""
    return [entry.path for entry in _published(entries)]


def published_copies(entries: list[Entry]) -> list[tuple[str, str]]:
    """(path inside the run's artifacts, path under the site's artifacts folder) of every file
    copied into the site, sorted; the two differ for active content published as text."""
    return sorted((entry.path, entry.site_path) for entry in _published(entries))


def _published(entries: list[Entry]) -> list[Entry]:
    out = []
    for entry in entries:
        if entry.is_dir:
            out.extend(_published(entry.children))
        elif not entry.problem:
            out.append(entry)
    return out


def format_bytes(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    for unit in ("KB", "MB", "GB", "TB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "TB":
            return f"{format_number(size_f, 3)} {unit}"
        size = int(size_f)
    return f"{size} B"  # pragma: no cover


# ---------------------------------------------------------------- page nodes and previews


ModelCardMaker = Callable[[Path, str], ModelCard]


@dataclass(slots=True)
class TreeBuilder:
    """Turns scanned entries into page nodes, reading previews within the page budget."""

    artifacts_dir: Path
    run_id: str
    page_path: str
    make_model_card: ModelCardMaker
    inline_images: bool = False
    budget: int = PAGE_PREVIEW_BUDGET
    models: list[ModelCard] = field(default_factory=list)

    def nodes(self, entries: list[Entry]) -> list[ArtifactNode]:
        return [self.node(entry) for entry in entries]

    def node(self, entry: Entry) -> ArtifactNode:
        href = None
        if not entry.problem and not entry.is_dir:
            href = paths.href(self.page_path, paths.run_artifact(self.run_id, entry.site_path))
        if entry.is_dir:
            model = None
            if any(child.name == MODEL_FILE and not child.problem for child in entry.children):
                model = self.make_model_card(self.artifacts_dir / entry.path, entry.path)
                self.models.append(model)
            return ArtifactNode(
                entry.name, entry.path, True, "", None, "", None, self.nodes(entry.children), model
            )
        size = format_bytes(entry.size) if not entry.problem else ""
        preview = None if entry.problem else self.preview(entry, href or "")
        note = entry.problem or (active.NOTE if entry.as_text else "")
        return ArtifactNode(entry.name, entry.path, False, size, href, note, preview)

    def preview(self, entry: Entry, href: str) -> Preview | None:
        suffix = os.path.splitext(entry.name)[1].lower()
        if suffix in IMAGE_SUFFIXES:
            if entry.as_text:  # its published copy is served as text: embed the image
                return self._embedded_image(entry, suffix)
            return self._image(entry, href, suffix)
        if suffix in (".html", ".htm"):
            return self._html(entry)
        kind = _text_kind(entry.name, suffix)
        if kind is None:
            return None
        if self.budget <= 0:
            return Preview("note", note=BUDGET_NOTE)
        data = self._read(entry)
        self.budget -= len(data)
        text = data.decode("utf-8", errors="replace")
        truncated = entry.size > len(data)
        return _text_preview(kind, text, truncated, suffix)

    def _html(self, entry: Entry) -> Preview:
        data = self._whole(entry, "HTML")
        if isinstance(data, Preview):
            return data
        return Preview("html", text=html_preview_document(data.decode("utf-8", errors="replace")))

    def _embedded_image(self, entry: Entry, suffix: str) -> Preview:
        """A ``data:`` image of a small file (an ``<img>`` never runs an SVG's scripts)."""
        data = self._whole(entry, suffix[1:].upper())
        if isinstance(data, Preview):
            return data
        return Preview("image", text=image_data_uri(data, suffix))

    def _whole(self, entry: Entry, kind: str) -> bytes | Preview:
        """The bytes of a file shown inline whole, charged to the page's budget; or the note
        saying why it is not shown (too large, or the page has shown enough)."""
        if entry.size > PREVIEW_BYTES:
            return Preview("note", note=f"no preview: {kind} files over 16 KB are not shown inline")
        if self.budget < entry.size:
            return Preview("note", note=BUDGET_NOTE)
        data = self._read(entry)
        self.budget -= len(data)
        return data

    def _read(self, entry: Entry) -> bytes:
        limit = min(PREVIEW_BYTES, max(self.budget, 0))
        try:
            return read_head(self.artifacts_dir / entry.path, limit)
        except (OSError, RunFormatError):  # changed since the scan: no preview
            return b""

    def _image(self, entry: Entry, href: str, suffix: str) -> Preview:
        if not self.inline_images:
            return Preview("image", text=href)
        try:
            data = read_head(self.artifacts_dir / entry.path, MAX_PUBLISHED_BYTES)
        except (OSError, RunFormatError):  # changed since the scan: link it instead
            return Preview("image", text=href)
        return Preview("image", text=image_data_uri(data, suffix))


def image_data_uri(data: bytes, suffix: str) -> str:
    """``data:image/...;base64,...`` of an image file's bytes (``suffix`` like ``.svg``)."""
    mime = IMAGE_TYPES.get(suffix, f"image/{suffix[1:]}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def html_preview_document(text: str) -> str:
    """An HTML artifact as the ``srcdoc`` of its preview: behind a policy that loads nothing
    (the sandbox already keeps its scripts, forms and redirects from running)."""
    policy = f'<meta http-equiv="Content-Security-Policy" content="{HTML_PREVIEW_POLICY}">'
    return f'<!doctype html><meta charset="utf-8">{policy}\n{text}'


def _text_kind(name: str, suffix: str) -> str | None:
    if suffix in (".csv", ".tsv"):
        return "table"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml") or suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
        return "text"
    return None


def _text_preview(kind: str, text: str, truncated: bool, suffix: str) -> Preview:
    more = "first 16 KB shown" if truncated else ""
    if kind == "table":
        header, rows = _table(text, "\t" if suffix == ".tsv" else ",", truncated)
        shown = f"first {len(rows)} rows" if len(rows) != 1 else "first row"
        return Preview("table", header=header, rows=rows, note=shown)
    if kind == "markdown":
        return Preview("markdown", html=render_markdown(text), note=more)
    if kind == "json" and not truncated:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)[:PREVIEW_BYTES]
    return Preview("text", text=text, note=more)


def _table(text: str, delimiter: str, truncated: bool) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut
    reader = csv.reader(io.StringIO("\n".join(lines[: TABLE_ROWS + 1])), delimiter=delimiter)
    rows = [row[:TABLE_COLUMNS] for row in reader]
    if not rows:
        return [], []
    return rows[0], rows[1:]


def artifacts_dir_of(run_dir: Path) -> Path:
    from runreport.store.format import ARTIFACTS_DIR

    return run_dir / ARTIFACTS_DIR
