"""Registry history rendered for people: table rows, JSON, and a markdown changelog."""

from __future__ import annotations

import json
import re
from itertools import groupby
from typing import Any

from runreport.formatting import format_number
from runreport.registry.events import CommitInfo, MetricDelta, RegistryEvent

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<|])")


def format_delta(delta: MetricDelta) -> str:
    """``r2_score 0.81 -> 0.86 (+0.05)``."""
    sign = "+" if delta.delta > 0 else ""
    return (
        f"{delta.key} {format_number(delta.before)} -> {format_number(delta.after)} "
        f"({sign}{format_number(delta.delta)})"
    )


def metrics_text(event: RegistryEvent) -> str:
    """The deltas of a promotion in one line, the note when there are none, else ""."""
    if event.deltas:
        return f"vs v{event.compared_to}: " + "; ".join(format_delta(d) for d in event.deltas)
    return event.note or ""


def event_rows(events: list[RegistryEvent]) -> list[dict[str, Any]]:
    """One table row per event: date, commit, PR, what happened, metric deltas."""
    return [
        {
            "date": (event.commit.date or "")[:10] or "pending",
            "commit": event.commit.short_sha,
            "pr": f"#{event.commit.pr}" if event.commit.pr else "",
            "event": event.describe(),
            "metrics": metrics_text(event),
        }
        for event in events
    ]


def to_json(events: list[RegistryEvent]) -> str:
    """The events as a JSON list (see :meth:`RegistryEvent.to_dict`)."""
    return json.dumps([event.to_dict() for event in events], indent=2, ensure_ascii=False)


def to_markdown(events: list[RegistryEvent], title: str = "Registry changelog") -> str:
    """A markdown changelog: one section per commit (pending first), one bullet per event."""
    lines = [f"# {title}", ""]
    if not events:
        return "\n".join([*lines, "No changes recorded.", ""])
    for commit, grouped in groupby(events, key=lambda event: event.commit):
        lines.append(f"## {_heading(commit)}")
        lines.append("")
        for event in grouped:
            lines.append(f"- {_escape(event.describe())}")
            lines.extend(f"  - {_escape(format_delta(delta))}" for delta in event.deltas)
            if event.deltas:
                lines.append(f"  - compared with v{event.compared_to}")
            elif event.note and event.kind != "file_invalid":
                lines.append(f"  - {_escape(event.note)}")
        lines.append("")
    return "\n".join(lines)


def _heading(commit: CommitInfo) -> str:
    if commit.pending:
        return "Pending (uncommitted changes)"
    pr = f"PR #{commit.pr}: " if commit.pr else ""
    date = (commit.date or "")[:10]
    author = _escape(commit.author or "")
    return f"{date} {pr}{_escape(commit.subject)} (`{commit.short_sha}`, {author})"


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
