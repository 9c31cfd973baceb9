"""``runreport compare`` and ``runreport report``: comparisons for pull requests."""

from __future__ import annotations

from collections.abc import Sequence

import click

_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html", "json"]),
    default="markdown",
    show_default=True,
)
_output = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE, not stdout."
)
_site = click.option(
    "--site-url", metavar="URL", help="The published site, for links to its pages."
)


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


def _semantics() -> tuple[dict, dict]:  # type: ignore[type-arg]
    from runreport.config import load_config

    config = load_config()
    return config.metric_semantics(), config.primary_metrics()


@click.command()
@click.argument("runs", nargs=-1, metavar="RUN_OR_URI...")
@click.option(
    "--baseline",
    "-b",
    metavar="RUN|URI",
    help="Run id, runs:/ or models:/NAME/Production URI, or @ALIAS. Default: the first run.",
)
@_format
@_output
@_site
@click.pass_context
def compare(
    ctx: click.Context,
    runs: Sequence[str],
    baseline: str | None,
    fmt: str,
    output: str | None,
    site_url: str | None,
) -> None:
    """Compare candidate runs with a baseline, for a pull-request comment."""
    from runreport.reports.output import comparison_for, render
    from runreport.tracking.client import Client

    semantics, _ = _semantics()
    client = Client(ctx.obj.get("tracking_uri"))
    comparison = comparison_for(client, list(runs), baseline, semantics)
    _emit(render(comparison, fmt, site_url), output)


@click.command()
@click.option(
    "--commit", metavar="SHA", help="Report the runs logged from this commit. Default: HEAD."
)
@click.option("--since", metavar="REF", help="Report the runs started after REF's commit time.")
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 1 when a primary metric got worse beyond noise.",
)
@_format
@_output
@_site
@click.pass_context
def report(
    ctx: click.Context,
    commit: str | None,
    since: str | None,
    fail_on_regression: bool,
    fmt: str,
    output: str | None,
    site_url: str | None,
) -> None:
    """Compare the runs made for this change with Production (or the best run)."""
    from runreport.reports.output import any_regression, change_report, render
    from runreport.tracking.client import Client

    semantics, primaries = _semantics()
    client = Client(ctx.obj.get("tracking_uri"))
    reports = change_report(client, commit, since, semantics, primaries)
    _emit("\n".join(render(r, fmt, site_url) for r in reports), output)
    if fail_on_regression and any_regression(reports):
        click.echo("Error: a primary metric got worse beyond its noise threshold", err=True)
        ctx.exit(1)
