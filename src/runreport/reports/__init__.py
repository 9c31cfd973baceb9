"""Comparison reports for pull requests: candidates against a baseline, as markdown, HTML, JSON."""

from __future__ import annotations

from runreport.reports.compare import Comparison, compare
from runreport.reports.markdown import MARKER, render_html, render_markdown
from runreport.reports.semantics import MetricSemantics, default_direction, semantics_for

__all__ = [
    "MARKER",
    "Comparison",
    "MetricSemantics",
    "compare",
    "default_direction",
    "render_html",
    "render_markdown",
    "semantics_for",
]
