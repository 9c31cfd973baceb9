"""Registry events: what changed between two states of stages.yaml, as dataclasses.

:func:`diff_registries` compares two parsed registries (parsing both states is more robust than
reading text diffs); :mod:`.history` attaches the commit and metric deltas. The site and the
``--format`` renderers (:mod:`.changelog`) only display these.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from runreport.registry.stages import STAGE_NONE, ModelRecord, Registry

MODEL_ADDED = "model_added"
MODEL_REMOVED = "model_removed"
VERSION_REGISTERED = "version_registered"
VERSION_REMOVED = "version_removed"
STAGE_CHANGED = "stage_changed"
SOURCE_CHANGED = "source_changed"
DESCRIPTION_CHANGED = "description_changed"
ALIAS_ADDED = "alias_added"
ALIAS_MOVED = "alias_moved"
ALIAS_REMOVED = "alias_removed"
FILE_RENAMED = "file_renamed"
FILE_INVALID = "file_invalid"

_PR_PATTERNS = (re.compile(r"^Merge pull request #(\d+)\b"), re.compile(r"\(#(\d+)\)\s*$"))


def pull_request_number(subject: str) -> int | None:
    """The PR number a merge or squash subject carries (``Merge pull request #12``, ``(#12)``)."""
    for pattern in _PR_PATTERNS:
        match = pattern.search(subject)
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class CommitInfo:
    """The commit an event comes from; ``pending`` for uncommitted changes (no sha)."""

    sha: str | None
    author: str | None
    email: str | None
    date: str | None
    subject: str
    pr: int | None = None
    pending: bool = False

    @property
    def short_sha(self) -> str:
        """The first 7 characters of the sha, or ``pending``."""
        return self.sha[:7] if self.sha else "pending"


PENDING = CommitInfo(None, None, None, None, "uncommitted changes", pending=True)


@dataclass(frozen=True)
class MetricDelta:
    """One metric of the version that left a stage (``before``) and the one that entered it."""

    key: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        """``after - before``."""
        return self.after - self.before


@dataclass(frozen=True)
class RegistryEvent:
    """One change to the registry. ``before``/``after`` hold the old and new stage, alias
    target, description or source; ``compared_to`` is the version a promotion's ``deltas``
    are measured against; ``note`` explains missing deltas or an unparsable file."""

    kind: str
    commit: CommitInfo = PENDING
    model: str | None = None
    version: int | None = None
    before: str | None = None
    after: str | None = None
    alias: str | None = None
    compared_to: int | None = None
    deltas: tuple[MetricDelta, ...] = ()
    note: str | None = None
    line: int | None = None

    def describe(self) -> str:
        """The event in one line of words."""
        return _DESCRIPTIONS[self.kind](self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with the description and each delta's difference."""
        data = asdict(self)
        data["description"] = self.describe()
        data["commit"]["short_sha"] = self.commit.short_sha
        for item, delta in zip(data["deltas"], self.deltas, strict=True):
            item["delta"] = delta.delta
        return data


def _subject(event: RegistryEvent) -> str:
    return f"{event.model} v{event.version}" if event.version is not None else f"{event.model}"


_DESCRIPTIONS = {
    MODEL_ADDED: lambda e: f"model {e.model} added",
    MODEL_REMOVED: lambda e: f"model {e.model} removed",
    VERSION_REGISTERED: lambda e: f"{_subject(e)} registered from {e.after}",
    VERSION_REMOVED: lambda e: f"{_subject(e)} removed (was {e.before})",
    STAGE_CHANGED: lambda e: f"{_subject(e)}: {e.before} -> {e.after}",
    SOURCE_CHANGED: lambda e: f"{_subject(e)} source changed from {e.before} to {e.after}",
    DESCRIPTION_CHANGED: lambda e: f"{_subject(e)} description changed",
    ALIAS_ADDED: lambda e: f"{e.model} alias {e.alias} -> v{e.after}",
    ALIAS_MOVED: lambda e: f"{e.model} alias {e.alias} moved v{e.before} -> v{e.after}",
    ALIAS_REMOVED: lambda e: f"{e.model} alias {e.alias} removed (was v{e.before})",
    FILE_RENAMED: lambda e: f"registry file renamed from {e.before} to {e.after}",
    FILE_INVALID: lambda e: f"registry file does not parse: {e.note}",
}


def diff_registries(before: Registry | None, after: Registry) -> list[RegistryEvent]:
    """The events that turn ``before`` (None: an empty registry) into ``after``."""
    old = before.models if before is not None else {}
    events: list[RegistryEvent] = []
    for name, model in after.models.items():
        if name not in old:
            events.append(RegistryEvent(MODEL_ADDED, model=name))
        events.extend(_model_events(old.get(name), model))
    for name, model in old.items():
        if name not in after.models:
            events.extend(_model_events(model, ModelRecord(name, model.description)))
            events.append(RegistryEvent(MODEL_REMOVED, model=name))
    return events


def _model_events(old: ModelRecord | None, new: ModelRecord) -> list[RegistryEvent]:
    old = old if old is not None else ModelRecord(new.name, description=new.description)
    events = []
    if old.description != new.description:
        events.append(
            RegistryEvent(
                DESCRIPTION_CHANGED, model=new.name, before=old.description, after=new.description
            )
        )
    events.extend(_version_events(old, new))
    events.extend(_alias_events(old, new))
    return events


def _version_events(old: ModelRecord, new: ModelRecord) -> list[RegistryEvent]:
    events = []
    for number, record in new.versions.items():
        was = old.versions.get(number)
        common: dict[str, Any] = {"model": new.name, "version": number, "line": record.line}
        if was is None:
            events.append(RegistryEvent(VERSION_REGISTERED, after=record.source, **common))
            if record.stage != STAGE_NONE:
                events.append(
                    RegistryEvent(STAGE_CHANGED, before=STAGE_NONE, after=record.stage, **common)
                )
            continue
        if was.source != record.source:
            events.append(
                RegistryEvent(SOURCE_CHANGED, before=was.source, after=record.source, **common)
            )
        if was.stage != record.stage:
            events.append(
                RegistryEvent(STAGE_CHANGED, before=was.stage, after=record.stage, **common)
            )
        if was.description != record.description:
            events.append(
                RegistryEvent(
                    DESCRIPTION_CHANGED, before=was.description, after=record.description, **common
                )
            )
    for number, was in old.versions.items():
        if number not in new.versions:
            events.append(
                RegistryEvent(VERSION_REMOVED, model=new.name, version=number, before=was.stage)
            )
    return events


def _alias_events(old: ModelRecord, new: ModelRecord) -> list[RegistryEvent]:
    events = []
    for alias, target in new.aliases.items():
        was = old.aliases.get(alias)
        line = new.alias_lines.get(alias)
        if was is None:
            events.append(
                RegistryEvent(
                    ALIAS_ADDED,
                    model=new.name,
                    version=target,
                    alias=alias,
                    after=str(target),
                    line=line,
                )
            )
        elif was != target:
            events.append(
                RegistryEvent(
                    ALIAS_MOVED,
                    model=new.name,
                    version=target,
                    alias=alias,
                    before=str(was),
                    after=str(target),
                    line=line,
                )
            )
    for alias, was in old.aliases.items():
        if alias not in new.aliases:
            events.append(
                RegistryEvent(
                    ALIAS_REMOVED, model=new.name, version=was, alias=alias, before=str(was)
                )
            )
    return events
