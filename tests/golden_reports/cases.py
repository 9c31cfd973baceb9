"""The golden report cases: each renders one report from the fixed runs in runs.py."""

from __future__ import annotations

from pathlib import Path

from runreport.reports.output import comparison_for, render
from runreport.reports.semantics import MetricSemantics
from runreport.tracking.client import Client
from tests.golden_reports.runs import RUN_IDS, write_runs

SEMANTICS = {
    "mae": MetricSemantics("mae", False, "MAE", ".2f", noise_abs=0.01),
    "train_time_s": MetricSemantics("train_time_s", False, "training time (s)", ".1f"),
}


def _case(candidates: list[str], baseline: str | None, fmt: str, site: str | None = None):  # type: ignore[no-untyped-def]
    def make(root: Path) -> str:
        write_runs(root)
        client = Client(str(root))
        comparison = comparison_for(
            client, [RUN_IDS[c] for c in candidates], baseline and RUN_IDS[baseline], SEMANTICS
        )
        return render(comparison, fmt, site)

    return make


CASES = {
    "two_candidates.md": _case(
        ["candidate-forest", "candidate-lasso"], "baseline-ridge", "markdown"
    ),
    "with_site_links.md": _case(
        ["candidate-forest"], "baseline-ridge", "markdown", "https://acme.github.io/churn/"
    ),
    "worse.md": _case(["candidate-lasso"], "baseline-ridge", "markdown"),
    "no_baseline.md": _case(["candidate-forest"], None, "markdown"),
    "two_candidates.json": _case(["candidate-forest", "candidate-lasso"], "baseline-ridge", "json"),
}


def render_case(name: str, root: Path) -> str:
    return CASES[name](root)
