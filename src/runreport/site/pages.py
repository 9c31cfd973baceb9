"""What each page shows, as dataclasses: the templates only display these.

Every string here is plain text (escaped by the templates) unless its type is ``Markup``, which
only :mod:`runreport.site.safety` produces. Hrefs are relative to the page that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled value in a details list; ``href`` makes it a link, ``code`` monospace."""

    label: str
    value: str
    href: str | None = None
    code: bool = False


@dataclass(slots=True)
class Frame:
    """What ``base.html`` needs: title, where the site root is, assets, navigation."""

    title: str
    site_title: str
    root: str  # relative path from the page to the site root: "", "../"
    page_id: str  # "home", "experiment", "run", "compare", "registry", "model", "changelog"...
    breadcrumbs: list[Link] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # hrefs of stylesheets
    scripts: list[str] = field(default_factory=list)  # hrefs of scripts, in order
    inline_styles: list[Markup] = field(default_factory=list)  # --self-contained
    inline_scripts: list[Markup] = field(default_factory=list)  # --self-contained
    data: dict[str, Any] | None = None  # embedded as JSON for the page's script
    built_at: str | None = None
    has_registry: bool = False
    favicon: str = "data:,"


# ---------------------------------------------------------------- home


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class ExperimentCard:
    name: str
    href: str
    experiment_id: str
    run_count: str
    last_activity: str
    statuses: list[StatusCount]
    primary_metric: str | None
    best_value: str
    best_run: Link | None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    path: str
    reason: str


@dataclass(slots=True)
class HomePage:
    frame: Frame
    experiments: list[ExperimentCard]
    skipped: list[SkippedRow]
    run_count: str


# ---------------------------------------------------------------- experiment


@dataclass(frozen=True, slots=True)
class Download:
    label: str
    href: str


@dataclass(slots=True)
class ExperimentPage:
    frame: Frame
    name: str
    experiment_id: str
    run_count: str
    description: Markup | None
    tags: list[Field]
    downloads: list[Download]
    runs_script: str  # href of the runs data file
    metrics: list[str]  # one chart per metric
    numeric_columns: list[Link]  # choices of the scatter's axes (label, column id)


# ---------------------------------------------------------------- run


@dataclass(frozen=True, slots=True)
class MetricRow:
    key: str
    last: str
    step: str
    minimum: str
    maximum: str
    count: str
    chart_id: str | None


@dataclass(frozen=True, slots=True)
class Preview:
    """An inline preview of one artifact: ``kind`` says which partial shows it."""

    kind: str  # image, text, table, markdown, html, note
    text: str = ""
    html: Markup | None = None
    rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, slots=True)
class ArtifactNode:
    name: str
    path: str
    is_dir: bool
    size: str
    href: str | None  # None: not published (symlink, outside the run folder, too large)
    note: str = ""
    preview: Preview | None = None
    children: list[ArtifactNode] = field(default_factory=list)
    model: ModelCard | None = None


@dataclass(frozen=True, slots=True)
class SchemaTable:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True, slots=True)
class RegisteredVersion:
    model: str
    version: str
    stage: str
    href: str | None


@dataclass(frozen=True, slots=True)
class ModelCard:
    path: str
    flavors: list[Field]
    schemas: list[SchemaTable]
    input_example: Preview | None
    requirements: list[str]
    registered: list[RegisteredVersion]
    load_snippet: str
    error: str | None = None


@dataclass(slots=True)
class RunPage:
    frame: Frame
    run_id: str
    name: str
    status: str
    fields: list[Field]
    parent: Link | None
    children: list[Link]
    description: Markup | None
    params: list[Field]
    metrics: list[MetricRow]
    tags: list[Field]
    artifacts: list[ArtifactNode]
    models: list[ModelCard]
    data_script: str  # href of the run's data file (histories)
    compare_href: str


# ---------------------------------------------------------------- compare, 404


@dataclass(slots=True)
class ComparePage:
    frame: Frame


@dataclass(slots=True)
class NotFoundPage:
    frame: Frame


@dataclass(frozen=True, slots=True)
class UnreadableRunPage:
    """Stands in for the page of a run whose folder changed while the site was built."""

    frame: Frame
    run_id: str
    reason: str


# ---------------------------------------------------------------- registry


@dataclass(frozen=True, slots=True)
class VersionRow:
    version: str
    stage: str
    aliases: str
    description: str
    source: str
    run: Link | None
    metrics: list[Field]


@dataclass(frozen=True, slots=True)
class ModelRow:
    name: str
    href: str
    description: str
    versions: str
    stages: list[Field]  # stage -> latest version in it
    aliases: str


@dataclass(frozen=True, slots=True)
class EventRow:
    """One registry event; ``commit``/``pr`` are links to GitHub when the remote is there."""

    date: str
    author: str
    commit: Link | None
    pr: Link | None
    text: str
    metrics: str
    pending: bool
    anchor: str


@dataclass(slots=True)
class RegistryPage:
    frame: Frame
    models: list[ModelRow]
    note: str | None


@dataclass(slots=True)
class ModelPage:
    frame: Frame
    name: str
    description: Markup | None
    tags: list[Field]
    aliases: list[Field]
    versions: list[VersionRow]
    events: list[EventRow]


@dataclass(slots=True)
class ChangelogPage:
    frame: Frame
    events: list[EventRow]
    note: str | None
