"""A comparison as GitHub-flavoured markdown for a pull-request comment, or as an HTML page.

The markdown starts with a hidden marker (:data:`MARKER`) so a bot can find and update its own
comment, stays under :data:`MAX_CHARS` (GitHub's limit is 65,536) by dropping rows with a note,
uses no images (text sparklines instead) and links to the published site when given its URL.
"""

from __future__ import annotations

import html
import math

from runreport.reports.compare import Comparison, MetricCell, MetricRow, verdict_mark
from runreport.reports.semantics import BETTER, UNCHANGED, WORSE

MARKER = "<!-- runreport:comparison -->"
MAX_CHARS = 60_000
_MARKS = {BETTER: "✅", WORSE: "❌", UNCHANGED: "➖"}


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell and inert as HTML."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _code(text: str, in_table: bool = False) -> str:
    """A code span (literal text on GitHub); in a table ``|`` is escaped so cells stay whole."""
    clean = text.replace("`", "'").replace("\n", " ")
    if in_table:
        clean = clean.replace("|", "\\|")
    return f"`{clean}`" if text else "`-`"


def _signed(value: float | None, show) -> str:  # type: ignore[no-untyped-def]
    if value is None or math.isnan(value):
        return "-"
    return ("+" if value > 0 else "") + show(value)


def _percent(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+.1%}"


def _arrow(row: MetricRow) -> str:
    direction = row.semantics.higher_is_better
    return "" if direction is None else (" ↑" if direction else " ↓")


def _candidate_cell(row: MetricRow, cell: MetricCell) -> str:
    show = row.semantics.show
    if cell.value is None:
        return "- (not logged)"
    parts = [show(cell.value)]
    if cell.delta is not None:
        parts.append(f"({_signed(cell.delta, show)}, {_percent(cell.relative)})")
    mark = _MARKS.get(cell.verdict)
    if mark:
        parts.append(mark)
    if cell.sparkline:
        parts.append(f"`{cell.sparkline}`")
    return " ".join(parts)


def _links(comparison: Comparison, site_url: str | None) -> list[str]:
    if not site_url:
        return []
    from runreport.site import paths

    base = site_url.rstrip("/") + "/"
    runs = [*([comparison.baseline] if comparison.baseline else []), *comparison.candidates]
    ids = ",".join(r.info.run_id for r in runs)
    lines = [f"[Open the comparison on the site]({base}{paths.COMPARE}?runs={ids})"]
    lines += [f"[{_cell(r.info.run_name)}]({base}{paths.run_page(r.info.run_id)})" for r in runs]
    return [" · ".join(lines), ""]


def _metrics_table(comparison: Comparison, rows: list[MetricRow]) -> list[str]:
    names = [_cell(r.info.run_name) for r in comparison.candidates]
    head = ["Metric", f"Baseline ({_cell(comparison.baseline_label)})", *names]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    for row in rows:
        label = _cell(row.semantics.label) + _arrow(row)
        if row.note:
            label += f" <sub>{_cell(row.note)}</sub>"
        base = row.semantics.show(row.baseline) if row.baseline is not None else "-"
        if row.baseline_sparkline:
            base += f" `{row.baseline_sparkline}`"
        cells = [_candidate_cell(row, c) for c in row.cells]
        lines.append(
            "| " + " | ".join([label, base, *(_cell(c).replace("'", "`") for c in cells)]) + " |"
        )
    return lines


def _params_table(comparison: Comparison) -> list[str]:
    if not comparison.params:
        return ["No params differ."]
    names = [_cell(r.info.run_name) for r in comparison.candidates]
    head = ["Param", "Baseline", *names] if comparison.baseline else ["Param", *names]
    lines = [
        f"<details><summary>Params that differ ({len(comparison.params)})</summary>",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for row in comparison.params:
        values = ([row.baseline] if comparison.baseline else []) + list(row.values)
        cells = [_code(row.key, True), *(_code(v or "", True) for v in values)]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, "", "</details>"]


def _verdict_line(comparison: Comparison) -> str:
    if comparison.baseline is None:
        return "**Verdict: ❔ n/a**: no baseline to compare with."
    if comparison.primary is None:
        return "**Verdict: ❔ n/a**: no metric with a known direction to judge by."
    row = next((r for r in comparison.metrics if r.semantics.key == comparison.primary), None)
    text = f"**Verdict: {verdict_mark(comparison.verdict)}** on {_code(comparison.primary)}"
    if row and row.cells and row.cells[0].value is not None:
        show = row.semantics.show
        first = row.cells[0]
        text += f": {show(first.value)} vs {show(row.baseline)} ({_percent(first.relative)})"
    return text


def render_markdown(
    comparison: Comparison, site_url: str | None = None, max_chars: int = MAX_CHARS
) -> str:
    """The comparison as one pull-request comment (at most ``max_chars`` characters)."""
    rows = list(comparison.metrics)
    while True:
        text = _assemble(comparison, rows, site_url, len(comparison.metrics) - len(rows))
        if len(text) <= max_chars or not rows:
            return text[:max_chars]
        rows = rows[: max(0, len(rows) - max(1, len(rows) // 4))]


def _assemble(
    comparison: Comparison, rows: list[MetricRow], site_url: str | None, dropped: int
) -> str:
    names = ", ".join(_code(r.info.run_name) for r in comparison.candidates) or "no candidates"
    lines = [
        MARKER,
        f"### runreport: {names} vs baseline {_code(comparison.baseline_label)}",
        "",
        _verdict_line(comparison),
        "",
        *_links(comparison, site_url),
        *_metrics_table(comparison, rows),
    ]
    if dropped:
        lines += ["", f"_{dropped} more metrics are not shown (comment size limit); see the site._"]
    lines += ["", *_params_table(comparison)]
    lines += [""] + [f"> {_cell(note)}" for note in comparison.notes] if comparison.notes else []
    lines += [
        "",
        "<sub>↑ higher is better · ↓ lower is better · changes within the noise threshold "
        "count as unchanged</sub>",
    ]
    return "\n".join(lines) + "\n"


def render_html(comparison: Comparison, site_url: str | None = None) -> str:
    """The same comparison as a self-contained HTML page (no external requests)."""
    esc = html.escape
    names = [esc(r.info.run_name) for r in comparison.candidates]
    head = "".join(
        f"<th>{n}</th>" for n in ["Metric", f"Baseline ({esc(comparison.baseline_label)})", *names]
    )
    body_rows = []
    for row in comparison.metrics:
        label = (
            esc(row.semantics.label)
            + _arrow(row)
            + (f" <small>{esc(row.note)}</small>" if row.note else "")
        )
        base = esc(row.semantics.show(row.baseline) if row.baseline is not None else "-")
        cells = "".join(f"<td>{esc(_candidate_cell(row, c))}</td>" for c in row.cells)
        body_rows.append(f"<tr><th scope=row>{label}</th><td>{base}</td>{cells}</tr>")
    params = "".join(
        f"<tr><th scope=row>{esc(p.key)}</th>"
        + "".join(
            f"<td>{esc(v or '-')}</td>"
            for v in ([p.baseline] if comparison.baseline else []) + p.values
        )
        + "</tr>"
        for p in comparison.params
    )
    links = ""
    if site_url:
        from runreport.site import paths

        ids = ",".join(
            r.info.run_id
            for r in [
                *([comparison.baseline] if comparison.baseline else []),
                *comparison.candidates,
            ]
        )
        href = esc(f"{site_url.rstrip('/')}/{paths.COMPARE}?runs={ids}")
        links = f'<p><a href="{href}">Open the comparison on the site</a></p>'
    verdict = esc(_verdict_line(comparison).replace("**", "").replace("`", ""))
    notes = "".join(f"<li>{esc(n)}</li>" for n in comparison.notes)
    body = (
        f"<h1>runreport comparison</h1><p><strong>{verdict}</strong></p>{links}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>"
        "<h2>Params that differ</h2>"
        f"<table><tbody>{params or '<tr><td>none</td></tr>'}</tbody></table>"
        + (f"<ul>{notes}</ul>" if notes else "")
    )
    return _PAGE.format(title=esc(f"runreport comparison: {comparison.baseline_label}"), body=body)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }}
body {{ max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border: 1px solid #8884; padding: .3rem .6rem; text-align: right; }}
th:first-child, td:first-child, th[scope=row] {{ text-align: left; }}
</style></head>
<body>
{body}
</body></html>
"""
