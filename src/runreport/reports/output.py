"""Building reports from the CLI's arguments, and writing them in the chosen format."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.reports.compare import Comparison, compare
from runreport.reports.markdown import render_html, render_markdown
from runreport.reports.selection import (
    Resolved,
    best_run,
    production_baseline,
    resolve,
    runs_for_change,
)
from runreport.reports.semantics import WORSE, MetricSemantics, semantics_for


def _histories(client: Any):  # type: ignore[no-untyped-def]
    cache: dict[tuple[str, str], Any] = {}

    def history(run_id: str, key: str) -> Any:
        if (run_id, key) not in cache:
            cache[(run_id, key)] = client.get_metric_history(run_id, key)
        return cache[(run_id, key)]

    return history


def comparison_for(
    client: Any,
    candidates: list[str],
    baseline: str | None,
    semantics: dict[str, MetricSemantics] | None = None,
    primary: str | None = None,
) -> Comparison:
    """Resolve the CLI's run ids / URIs and compare them."""
    if not candidates:
        raise InvalidParameterError("give at least one candidate run id or model URI to compare")
    runs = [resolve(client, text).run for text in candidates]
    base: Resolved | None = resolve(client, baseline, runs) if baseline else None
    if base is None and len(runs) > 1:  # no baseline given: the first run is the baseline
        base, runs = Resolved(runs[0], runs[0].info.run_name), runs[1:]
    return compare(
        base.run if base else None,
        runs,
        _histories(client),
        semantics,
        primary,
        base.label if base else None,
    )


def render(comparison: Comparison, fmt: str, site_url: str | None) -> str:
    if fmt == "markdown":
        return render_markdown(comparison, site_url)
    if fmt == "html":
        return render_html(comparison, site_url)
    return json.dumps(to_json(comparison), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_json(comparison: Comparison) -> dict[str, Any]:
    def run_ref(run: Any) -> dict[str, str] | None:
        return None if run is None else {"run_id": run.info.run_id, "run_name": run.info.run_name}

    return _plain(
        {
            "baseline": run_ref(comparison.baseline),
            "baseline_label": comparison.baseline_label,
            "candidates": [run_ref(r) for r in comparison.candidates],
            "primary_metric": comparison.primary,
            "verdict": comparison.verdict,
            "notes": comparison.notes,
            "metrics": [
                {
                    "key": row.semantics.key,
                    "higher_is_better": row.semantics.higher_is_better,
                    "baseline": row.baseline,
                    "note": row.note,
                    "candidates": [dataclasses.asdict(cell) for cell in row.cells],
                }
                for row in comparison.metrics
            ],
            "params": [dataclasses.asdict(row) for row in comparison.params],
        }
    )


def change_report(
    client: Any,
    commit: str | None,
    since: str | None,
    semantics: dict[str, MetricSemantics] | None = None,
    primaries: dict[str, str] | None = None,
) -> list[Comparison]:
    """One comparison per experiment touched by the change, against Production or the best run."""
    experiments = {e.experiment_id: e for e in client.search_experiments()}
    all_runs = list(client.search_runs(list(experiments), max_results=100_000))
    chosen = runs_for_change(all_runs, commit, since)
    if not chosen:
        what = f"since {since}" if since else f"for commit {commit or 'HEAD'}"
        raise InvalidParameterError(f"no runs were logged {what}; nothing to report")
    reports = []
    for exp_id in sorted({r.info.experiment_id for r in chosen}):
        candidates = [r for r in chosen if r.info.experiment_id == exp_id]
        primary = (primaries or {}).get(experiments[exp_id].name)
        base = production_baseline(client, exp_id)
        if base is None:
            others = [r for r in all_runs if r.info.experiment_id == exp_id and r not in candidates]
            metric = primary or compare(None, candidates, lambda *_: [], semantics).primary
            sem = semantics_for(metric, semantics) if metric else None
            run = best_run(others, metric, sem.higher_is_better if sem else None)
            base = Resolved(run, f"best {metric}: {run.info.run_name}") if run else None
        reports.append(
            compare(
                base.run if base else None,
                candidates,
                _histories(client),
                semantics,
                primary,
                base.label if base else None,
            )
        )
    return reports


def any_regression(reports: list[Comparison]) -> bool:
    return any(r.verdict == WORSE for r in reports)
