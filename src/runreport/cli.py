"""The ``runreport`` command line: a thin layer over the library.

Each command parses its options and calls library functions. A :class:`RunReportError` becomes a
one-line ``Error: ...`` on stderr and exit code 1, here and nowhere else; usage errors exit 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from runreport.exceptions import RunReportError


class _Group(click.Group):
    """Turns library errors into clean one-line messages (exit 1) for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunReportError as exc:
            first, _, rest = str(exc).partition("\n")
            click.echo(f"Error: {first}", err=True)
            if rest:
                click.echo(rest, err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="runreport", prog_name="runreport")
@click.option(
    "--tracking-uri",
    envvar="RUNREPORT_TRACKING_URI",
    metavar="PATH",
    help="Runs folder (path or file:// URI). Default: ./runs, or $RUNREPORT_TRACKING_URI.",
)
@click.pass_context
def main(ctx: click.Context, tracking_uri: str | None) -> None:
    """runreport: experiment tracking, a git-native registry and static reports for ML runs."""
    ctx.obj = {"tracking_uri": tracking_uri}


def _client(ctx: click.Context, source: str | None = None) -> Any:
    from runreport.tracking.client import Client

    return Client(source or ctx.obj.get("tracking_uri"))


_source_option = click.option(
    "--source",
    "-s",
    metavar="PATH",
    help="Read this runs folder, MLflow mlruns/ folder or mlflow.db instead of the tracking URI.",
)


# ---------------------------------------------------------------- experiments


@main.group()
def experiments() -> None:
    """List and inspect experiments."""


@experiments.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deleted experiments.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@_source_option
@click.pass_context
def experiments_list(ctx: click.Context, show_all: bool, fmt: str, source: str | None) -> None:
    """List experiments with their ids and run counts."""
    from runreport.cli_output import experiment_rows

    client = _client(ctx, source)
    found = client.search_experiments(view_type=3 if show_all else 1, order_by=["name ASC"])
    _emit(experiment_rows(client, found), fmt)


# ---------------------------------------------------------------- runs


@main.group()
def runs() -> None:
    """Search and inspect runs."""


@runs.command("list")
@click.option(
    "--experiment",
    "-e",
    "experiment_names",
    multiple=True,
    metavar="NAME",
    help="Experiment name (repeatable). Default: all experiments.",
)
@click.option(
    "--filter",
    "-f",
    "filter_string",
    default="",
    metavar="FILTER",
    help="MLflow search filter, e.g. \"metrics.rmse < 1 AND params.model = 'ridge'\".",
)
@click.option(
    "--order-by",
    "-o",
    "order_by",
    multiple=True,
    metavar="KEY",
    help="Sort key such as 'metrics.rmse ASC' (repeatable).",
)
@click.option("--max-results", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--all", "show_all", is_flag=True, help="Include deleted runs.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@_source_option
@click.pass_context
def runs_list(
    ctx: click.Context,
    experiment_names: Sequence[str],
    filter_string: str,
    order_by: Sequence[str],
    max_results: int,
    show_all: bool,
    fmt: str,
    source: str | None,
) -> None:
    """List runs, filtered and sorted with MLflow's search syntax."""
    from runreport.cli_output import run_rows
    from runreport.exceptions import ResourceNotFoundError

    client = _client(ctx, source)
    if experiment_names:
        ids = []
        for name in experiment_names:
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                known = ", ".join(repr(e.name) for e in client.search_experiments()) or "none"
                raise ResourceNotFoundError(f"experiment {name!r} does not exist; known: {known}")
            ids.append(experiment.experiment_id)
    else:
        ids = [e.experiment_id for e in client.search_experiments(view_type=3)]
    found = client.search_runs(
        ids, filter_string, 3 if show_all else 1, max_results, list(order_by)
    )
    _emit(run_rows(found, full=fmt != "table"), fmt)


@runs.command("show")
@click.argument("run_id")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_source_option
@click.pass_context
def runs_show(ctx: click.Context, run_id: str, fmt: str, source: str | None) -> None:
    """Show one run: meta, params, metrics, tags and artifacts."""
    from runreport.cli_output import run_details, run_text

    client = _client(ctx, source)
    details = run_details(client, run_id)
    if fmt == "json":
        click.echo(json.dumps(details, indent=2, sort_keys=True, ensure_ascii=False, default=str))
    else:
        click.echo(run_text(details))


# ---------------------------------------------------------------- output


def _emit(rows: list[dict[str, Any]], fmt: str) -> None:
    from runreport.cli_output import to_csv, to_table

    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    elif fmt == "csv":
        sys.stdout.write(to_csv(rows))
    else:
        click.echo(to_table(rows))


from runreport.cli_interop import import_group  # noqa: E402

main.add_command(import_group)

from runreport.cli_serving import predict, serve  # noqa: E402 - commands of the main group

main.add_command(serve)
main.add_command(predict)

from runreport.cli_registry import models, registry  # noqa: E402

main.add_command(models)
main.add_command(registry)

from runreport.cli_site import build, ui  # noqa: E402 - the site's commands

main.add_command(build)
main.add_command(ui)

from runreport.cli_reports import compare, report  # noqa: E402 - pull-request reports

main.add_command(compare)
main.add_command(report)


@main.command()
@click.option(
    "-o",
    "--output",
    default="site",
    show_default=True,
    metavar="DIR",
    help="Where to build the site.",
)
@click.option(
    "--workspace",
    metavar="DIR",
    help="An empty folder for the demo's runs and git repository (default: a temporary one).",
)
def demo(output: str, workspace: str | None) -> None:
    """Log the example runs, give the registry a git history, and build the site."""
    from pathlib import Path

    from runreport.demo import run_demo

    result = run_demo(
        Path(output),
        Path(workspace) if workspace else None,
        say=lambda text: click.echo(text, err=True),
    )
    click.echo(f"Workspace (runs, stages.yaml, git history): {result.workspace}", err=True)
    click.echo(f"Built: {result.summary}", err=True)
    click.echo(f"Open {result.index.as_uri()}")


if __name__ == "__main__":  # pragma: no cover
    main()
