"""The registry's part of the site: registry, model and changelog pages, and the Atom feed.

Reads ``stages.yaml`` with :mod:`runreport.registry.stages` and its git history with
:func:`runreport.registry.history.registry_history`; this module only turns those dataclasses
into page models. A registry file that does not parse is a problem of the build (a warning;
``--strict`` fails); missing git history leaves the changelog empty with a note saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError, RunReportError
from runreport.formatting import format_number
from runreport.site import paths
from runreport.site.inputs import Problem
from runreport.site.pages import (
    ChangelogPage,
    EventRow,
    Field,
    Link,
    ModelPage,
    ModelRow,
    RegisteredVersion,
    RegistryPage,
    VersionRow,
)
from runreport.site.safety import render_markdown, safe_url, xml_text
from runreport.tracking.entities import Run

if TYPE_CHECKING:
    from runreport.site.build import SiteContext
    from runreport.site.inputs import SiteInputs
    from runreport.site.output import SiteWriter

KEY_METRICS = 4


@dataclass(slots=True)
class RegistryView:
    """The parsed registry, its events (newest first) and where its repository lives."""

    path: Path
    registry: Any  # runreport.registry.stages.Registry
    events: list[Any] = field(default_factory=list)  # RegistryEvent
    note: str | None = None
    github: str | None = None  # https://github.com/owner/repo


class _Runs:
    """The runs the build already read, with the one Client method registry history needs."""

    def __init__(self, inputs: SiteInputs) -> None:
        self.runs = {run.info.run_id: run for run in inputs.runs}

    def get_run(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise ResourceNotFoundError(f"run {run_id!r} is not in this site") from None


def read_registry(path: Path | None, inputs: SiteInputs) -> RegistryView | None:
    """The registry at ``path`` (None: no registry pages); a bad file becomes a problem.

    Raises:
        InvalidParameterError: ``path`` was given but does not exist.
    """
    if path is None:
        return None
    if not Path(path).is_file():
        raise InvalidParameterError(f"registry file {str(path)!r} does not exist")
    from runreport.registry.stages import parse_registry

    try:
        registry = parse_registry(_registry_text(Path(path)), Path(path).name)
    except RunReportError as exc:
        inputs.problems.append(Problem(str(path), str(exc), Path(path).name))
        return None
    view = RegistryView(Path(path), registry)
    _read_history(view, inputs)
    return view


def _registry_text(path: Path) -> str:
    """The text of ``path``, read by the registry's own reader: only a regular file, within the
    size limit, and UTF-8 (a bad byte is reported with its line). Messages name the file by its
    name only, as the published site shows it.

    Raises:
        YamlFileError: the file cannot be read as text.
    """
    from runreport.registry.location import RegistryFile
    from runreport.registry.yamlfile import YamlFileError

    try:
        return RegistryFile(path).read_text()
    except YamlFileError as exc:
        reason = exc.reason.replace(str(path), path.name)
        raise YamlFileError(path.name, exc.line, reason) from None


def _read_history(view: RegistryView, inputs: SiteInputs) -> None:
    from runreport.registry.history import registry_history
    from runreport.site.safety import github_repository
    from runreport.tracking.context import TAG_GIT_REPO_URL, git_tags

    try:
        view.events = registry_history(view.path, client=_Runs(inputs), include_pending=True)
    except RunReportError as exc:
        view.note = f"No history: {exc}"
        return
    view.github = github_repository(git_tags(str(view.path.parent)).get(TAG_GIT_REPO_URL))


# ---------------------------------------------------------------- run pages


def registered_versions(view: RegistryView, run_id: str, path: str) -> list[RegisteredVersion]:
    """The registered versions whose source is the model at ``path`` of run ``run_id``."""
    wanted = f"runs:/{run_id}/{path}".rstrip("/")
    found = []
    for model in view.registry.models.values():
        for number, version in sorted(model.versions.items()):
            if version.source.rstrip("/") == wanted:
                href = paths.href(paths.run_page(run_id), paths.model_page(model.name))
                found.append(RegisteredVersion(model.name, str(number), version.stage, href))
    return found


def run_registration_key(view: RegistryView | None, run_id: str) -> list[list[str]]:
    """What a run page shows of the registry (so a stage change remakes the page)."""
    if view is None:
        return []
    prefix = f"runs:/{run_id}/"
    return sorted(
        [model.name, str(number), version.stage, version.source]
        for model in view.registry.models.values()
        for number, version in model.versions.items()
        if version.source.startswith(prefix)
    )


# ---------------------------------------------------------------- pages


def make_registry_pages(inputs: SiteInputs, site: SiteContext, writer: SiteWriter) -> int:
    """Render the registry, model and changelog pages and the feed; return the page count."""
    from runreport.site.render import render

    view: RegistryView = inputs.registry  # type: ignore[assignment]
    runs = {run.info.run_id: run for run in inputs.runs}
    models = view.registry.models
    frame = site.frame(paths.REGISTRY, "Model registry", "registry")
    rows = [_model_row(record) for record in models.values()]
    writer.add(paths.REGISTRY, render("registry.html", page=RegistryPage(frame, rows, view.note)))
    for record in models.values():
        page_path = paths.model_page(record.name)
        crumbs = [Link("Model registry", paths.href(page_path, paths.REGISTRY))]
        model_frame = site.frame(page_path, record.name, "model", crumbs)
        events = [e for e in view.events if e.model == record.name]
        page = ModelPage(
            frame=model_frame,
            name=record.name,
            description=render_markdown(record.description),
            tags=[
                Field(k, v, safe_url(v)) for k, v in sorted(site.secrets.mask(record.tags).items())
            ],
            aliases=[Field(a, f"version {v}") for a, v in sorted(record.aliases.items())],
            versions=[
                _version_row(record, n, v, runs, page_path)
                for n, v in sorted(record.versions.items(), reverse=True)
            ],
            events=[_event_row(e, view, page_path) for e in events],
        )
        writer.add(page_path, render("model.html", page=page))
    log_frame = site.frame(paths.CHANGELOG, "Registry changelog", "changelog")
    events = [_event_row(e, view, paths.CHANGELOG) for e in view.events]
    writer.add(
        paths.CHANGELOG, render("changelog.html", page=ChangelogPage(log_frame, events, view.note))
    )
    writer.add(paths.CHANGELOG_FEED, render("changelog.xml", feed=_feed(view, site)))
    return len(models) + 2


def _model_row(record: Any) -> ModelRow:
    latest: dict[str, int] = {}
    for number, version in record.versions.items():
        latest[version.stage] = max(number, latest.get(version.stage, 0))
    stages = [
        Field(stage, f"v{latest[stage]}") for stage in ("Production", "Staging") if stage in latest
    ]
    return ModelRow(
        name=record.name,
        href=paths.href(paths.REGISTRY, paths.model_page(record.name)),
        description=(record.description or "").strip().splitlines()[0]
        if record.description
        else "",
        versions=format_number(len(record.versions)),
        stages=stages,
        aliases=", ".join(f"@{a} → v{v}" for a, v in sorted(record.aliases.items())),
    )


def _version_row(
    record: Any, number: int, version: Any, runs: dict[str, Run], page_path: str
) -> VersionRow:
    run_id = _run_id(version.source)
    run = runs.get(run_id or "")
    link = None
    metrics: list[Field] = []
    if run is not None:
        link = Link(
            run.info.run_name or run.info.run_id,
            paths.href(page_path, paths.run_page(run.info.run_id)),
        )
        metrics = [
            Field(k, format_number(v)) for k, v in sorted(run.data.metrics.items())[:KEY_METRICS]
        ]
    aliases = ", ".join(f"@{a}" for a, v in sorted(record.aliases.items()) if v == number)
    return VersionRow(
        version=str(number),
        stage=version.stage,
        aliases=aliases,
        description=version.description or "",
        source=version.source,
        run=link,
        metrics=metrics,
    )


def _run_id(source: str) -> str | None:
    if not source.startswith("runs:/"):
        return None
    return source[len("runs:/") :].strip("/").partition("/")[0] or None


def _event_row(event: Any, view: RegistryView, page_path: str) -> EventRow:
    from runreport.registry.changelog import metrics_text

    commit = event.commit
    commit_link = pr_link = None
    if commit.sha:
        target = f"{view.github}/commit/{commit.sha}" if view.github else None
        commit_link = Link(commit.short_sha, target or "")
    if commit.pr:
        pr_link = Link(f"#{commit.pr}", f"{view.github}/pull/{commit.pr}" if view.github else "")
    return EventRow(
        date=(commit.date or "")[:10] or "pending",
        author=commit.author or "",
        commit=commit_link,
        pr=pr_link,
        text=event.describe(),
        metrics=metrics_text(event),
        pending=commit.pending,
        anchor=f"commit-{commit.short_sha}",
    )


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    updated: str
    author: str
    summary: str
    href: str


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    id: str
    updated: str
    href: str
    entries: list[FeedEntry]


def _feed(view: RegistryView, site: SiteContext) -> Feed:
    from runreport.registry.changelog import metrics_text

    entries = []
    for index, event in enumerate(view.events):
        commit = event.commit
        if commit.pending or not commit.date:
            continue
        summary = event.describe() + (f" ({metrics_text(event)})" if metrics_text(event) else "")
        entries.append(
            FeedEntry(
                id=f"urn:runreport:registry:{commit.sha}:{index}",
                title=xml_text(event.describe()),
                updated=commit.date,
                author=xml_text(commit.author or "unknown"),
                summary=xml_text(summary),
                href=f"{paths.CHANGELOG}#commit-{commit.short_sha}",
            )
        )
    updated = max((e.updated for e in entries), default="1970-01-01T00:00:00Z")
    return Feed(
        xml_text(f"{site.options.title}: registry changelog"),
        "urn:runreport:registry",
        updated,
        paths.CHANGELOG,
        entries,
    )
