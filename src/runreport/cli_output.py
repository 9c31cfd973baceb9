"""Rows and text the CLI prints: tables, CSV (with a CSV-injection guard) and run details."""

from __future__ import annotations

import csv
import io
from typing import Any

from runreport.formatting import format_duration, format_number, format_time, iso_time, run_duration
from runreport.tracking.entities import Experiment, Run

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def experiment_rows(client: Any, experiments: list[Experiment]) -> list[dict[str, Any]]:
    from runreport.store.reader import run_dirs

    rows = []
    for e in experiments:
        rows.append(
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "runs": len(run_dirs(client.root / e.experiment_id)),
                "lifecycle_stage": e.lifecycle_stage,
                "created": iso_time(e.creation_time),
            }
        )
    return rows


def run_rows(runs: list[Run], full: bool) -> list[dict[str, Any]]:
    """Table rows: the essentials and latest metrics; ``full`` adds MLflow's columns."""
    metric_keys = sorted({k for r in runs for k in r.data.metrics})
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, Any] = {
            "run_id": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "status": info.status,
            "start_time": iso_time(info.start_time),
            "duration": format_duration(run_duration(info.start_time, info.end_time)),
        }
        if full:
            row["end_time"] = iso_time(info.end_time)
            row["artifact_uri"] = info.artifact_uri
            row.update({f"metrics.{k}": run.data.metrics.get(k) for k in metric_keys})
            params = sorted({k for r in runs for k in r.data.params})
            row.update({f"params.{k}": run.data.params.get(k) for k in params})
            tags = sorted({k for r in runs for k in r.data.tags})
            row.update({f"tags.{k}": run.data.tags.get(k) for k in tags})
        else:
            row.update({k: format_number(run.data.metrics.get(k)) for k in metric_keys})
        rows.append(row)
    return rows


def run_details(client: Any, run_id: str) -> dict[str, Any]:
    run = client.get_run(run_id)
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "lifecycle_stage": info.lifecycle_stage,
        "user_id": info.user_id,
        "start_time": iso_time(info.start_time),
        "end_time": iso_time(info.end_time),
        "parent_run_id": info.parent_run_id,
        "description": info.description,
        "artifact_uri": info.artifact_uri,
        "params": dict(sorted(run.data.params.items())),
        "metrics": {
            key: {
                "latest": s.latest.value,
                "step": s.latest.step,
                "min": s.min,
                "max": s.max,
                "count": s.count,
            }
            for key, s in sorted(run.data.metric_summaries.items())
        },
        "tags": dict(sorted(run.data.tags.items())),
        "artifacts": [_artifact_line(f) for f in _walk(client, run_id, None)],
        "_start_ms": info.start_time,
        "_end_ms": info.end_time,
    }


def _walk(client: Any, run_id: str, path: str | None) -> list[Any]:
    found = []
    for info in client.list_artifacts(run_id, path):
        found.append(info)
        if info.is_dir:
            found.extend(_walk(client, run_id, info.path))
    return found


def _artifact_line(info: Any) -> str:
    return f"{info.path}/" if info.is_dir else f"{info.path} ({info.file_size:,} bytes)"


def run_text(details: dict[str, Any]) -> str:
    lines = [
        f"Run {details['run_name']} ({details['run_id']})",
        f"  experiment  {details['experiment_id']}",
        f"  status      {details['status']}"
        + ("  [deleted]" if details["lifecycle_stage"] == "deleted" else ""),
        f"  user        {details['user_id']}",
        f"  started     {format_time(details['_start_ms'])}",
        f"  duration    {format_duration(run_duration(details['_start_ms'], details['_end_ms']))}",
    ]
    if details["parent_run_id"]:
        lines.append(f"  parent      {details['parent_run_id']}")
    if details["description"]:
        lines += ["", "Description", *("  " + line for line in details["description"].splitlines())]
    lines += _section("Params", {k: v for k, v in details["params"].items()})
    metrics = {
        k: f"{format_number(m['latest'])} (step {m['step']}, min {format_number(m['min'])}, "
        f"max {format_number(m['max'])}, {m['count']:,} points)"
        for k, m in details["metrics"].items()
    }
    lines += _section("Metrics", metrics)
    lines += _section("Tags", details["tags"])
    lines += ["", "Artifacts", *(f"  {a}" for a in details["artifacts"] or ["(none)"])]
    return "\n".join(lines)


def _section(title: str, items: dict[str, Any]) -> list[str]:
    if not items:
        return ["", title, "  (none)"]
    width = min(max(len(k) for k in items), 40)
    return ["", title, *(f"  {k.ljust(width)}  {v}" for k, v in items.items())]


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas: a text cell starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = list(rows[0]) if rows else ["run_id"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return out.getvalue()


def to_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(no results)"
    columns = list(rows[0])
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [min(max(len(c), *(len(r[i]) for r in cells)), 48) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(_clip(v, w).ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
