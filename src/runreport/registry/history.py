"""The registry's history: every commit that changed stages.yaml, turned into events.

The log follows HEAD's first-parent line and renames of the file, so a merged pull request is
one step (its merge commit) and a squash merge is its single commit; each state of the file is
parsed and compared with the previous one (:func:`.events.diff_registries`). Uncommitted changes
come first, as pending events. A promotion into Staging or Production carries the metric deltas
between the source runs of the version that left the stage and the one that entered it.

A state that does not parse becomes a ``file_invalid`` event (with its line) and the next state
is compared with the last one that parsed. A shallow clone, a missing git or a file outside a
repository raise :class:`~.git.HistoryUnavailableError` rather than give a wrong changelog.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from runreport.exceptions import RunReportError
from runreport.registry import git
from runreport.registry.events import (
    FILE_INVALID,
    FILE_RENAMED,
    PENDING,
    STAGE_CHANGED,
    CommitInfo,
    MetricDelta,
    RegistryEvent,
    diff_registries,
    pull_request_number,
)
from runreport.registry.location import RegistryFile, registry_path
from runreport.registry.sources import run_id_of
from runreport.registry.stages import ACTIVE_STAGES, ModelRecord, Registry, parse_registry
from runreport.registry.yamlfile import YamlFileError

MetricsOf = Callable[[str], "dict[str, float] | None"]


def registry_history(
    registry_uri: str | os.PathLike[str] | None = None,
    client: Any = None,
    include_pending: bool = True,
) -> list[RegistryEvent]:
    """The registry's events, newest first (uncommitted changes first, marked pending).

    Args:
        registry_uri: the stages.yaml (default: the registry in force).
        client: a ``runreport.Client`` to read source runs from, for metric deltas.
        include_pending: include uncommitted changes of the working tree.

    Raises:
        HistoryUnavailableError: git is missing, the file is outside a git repository, or the
            clone is shallow (the message says how to fetch the full history).
    """
    from runreport.tracking.client import Client

    file = RegistryFile(registry_path(registry_uri))
    root = git.repository_root(file.path)
    git.check_not_shallow(root)
    metrics = _metrics_reader(client if client is not None else Client())
    walker = _Walker(file.folder, metrics)
    relative = file.path.resolve().relative_to(root.resolve()).as_posix()
    entries = git.file_log(root, relative) if git.has_commits(root) else []
    texts = git.blobs(root, [f"{e.sha}:{e.path}" for e in entries if not e.deleted])
    for entry in reversed(entries):
        text = None if entry.deleted else texts.get(f"{entry.sha}:{entry.path}")
        walker.step(text, entry.path, _commit(entry), entry.renamed_from)
    if include_pending and file.path.is_file():
        text = file.read_text()
        if text != walker.last_text:
            walker.step(text, file.label, PENDING, None)
    return [event for found in reversed(walker.groups) for event in found]


def _commit(entry: git.LogEntry) -> CommitInfo:
    return CommitInfo(
        entry.sha,
        entry.author,
        entry.email,
        entry.date,
        entry.subject,
        pull_request_number(entry.subject),
    )


class _Walker:
    """Replays the states of the file, oldest first, collecting events."""

    def __init__(self, folder: Path, metrics: MetricsOf) -> None:
        self.folder = folder
        self.metrics = metrics
        self.state: Registry | None = None
        self.last_text: str | None = None
        self.groups: list[list[RegistryEvent]] = []

    def step(
        self, text: str | None, label: str, commit: CommitInfo, renamed_from: str | None
    ) -> None:
        self.last_text = text
        found: list[RegistryEvent] = []
        if renamed_from:
            found.append(RegistryEvent(FILE_RENAMED, commit, before=renamed_from, after=label))
        try:
            after = parse_registry(text or "", label)
        except YamlFileError as exc:
            note = f"{exc.label}:{exc.line}: {exc.reason}" if exc.line else str(exc)
            found.append(RegistryEvent(FILE_INVALID, commit, note=note, line=exc.line))
            self.groups.append(found)
            return
        for event in diff_registries(self.state, after):
            event = replace(event, commit=commit)
            if event.kind == STAGE_CHANGED and event.after in ACTIVE_STAGES:
                event = self.with_deltas(event, after)
            found.append(event)
        self.groups.append(sorted(found, key=_order))
        self.state = after

    def with_deltas(self, event: RegistryEvent, after: Registry) -> RegistryEvent:
        name, stage = event.model or "", event.after or ""
        old = self.state.models.get(name) if self.state is not None else None
        new = after.models[name]
        previous = _predecessor(old, new, stage, event.version or 0)
        if previous is None or old is None:
            return event
        pair = {previous: old.versions[previous].source}
        pair[event.version or 0] = new.versions[event.version or 0].source
        metrics, missing = [], []
        for number, source in pair.items():
            run_id = run_id_of(source, self.folder)
            found = self.metrics(run_id) if run_id else None
            metrics.append(found or {})
            if found is None:
                missing.append(f"v{number} ({run_id or source})")
        if missing:
            note = f"no metric deltas: source run of {', '.join(missing)} not found"
            return replace(event, compared_to=previous, note=note)
        before, after_metrics = metrics
        deltas = tuple(
            MetricDelta(key, before[key], after_metrics[key])
            for key in sorted(before.keys() & after_metrics.keys())
        )
        return replace(event, compared_to=previous, deltas=deltas)


def _predecessor(old: ModelRecord | None, new: ModelRecord, stage: str, number: int) -> int | None:
    """The version a promotion into ``stage`` replaced: one that left the stage in the same
    change, else the highest other version that stays in it; None for a first promotion."""
    if old is None:
        return None
    held = [n for n, r in old.versions.items() if r.stage == stage and n != number]
    left = [n for n in held if n not in new.versions or new.versions[n].stage != stage]
    candidates = left or held
    return max(candidates) if candidates else None


def _order(event: RegistryEvent) -> tuple[int, str, int]:
    first = 0 if event.kind in (FILE_RENAMED, FILE_INVALID) else 1
    return first, event.model or "", event.version or 0


def _metrics_reader(client: Any) -> MetricsOf:
    cache: dict[str, dict[str, float] | None] = {}

    def metrics(run_id: str) -> dict[str, float] | None:
        if run_id not in cache:
            try:
                cache[run_id] = dict(client.get_run(run_id).data.metrics)
            except RunReportError:  # a missing run, or a run folder that cannot be read
                cache[run_id] = None
        return cache[run_id]

    return metrics
