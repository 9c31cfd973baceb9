"""``runreport import mlflow``: convert MLflow stores into run folders."""

from __future__ import annotations

import click


@click.group("import")
def import_group() -> None:
    """Import runs from other tools."""


@import_group.command("mlflow")
@click.argument("src", metavar="SRC")
@click.option(
    "--to",
    "target",
    default="runs",
    show_default=True,
    metavar="RUNS_DIR",
    help="The runs folder to import into (created when missing).",
)
@click.option(
    "--registry",
    default="stages.yaml",
    show_default=True,
    metavar="PATH",
    help="The stages.yaml that receives MLflow's registered models.",
)
def import_mlflow(src: str, target: str, registry: str) -> None:
    """Convert an MLflow store (an mlruns/ folder or an mlflow.db file) into run folders.

    Ids, names, times, statuses, params, tags, metric histories, artifacts and models are kept;
    MLflow's registered models (stages, aliases, descriptions) go into the stages.yaml.
    Running it again imports only what is new; an interrupted import resumes.
    """
    from pathlib import Path

    from runreport.exceptions import InvalidParameterError
    from runreport.store.importer import import_source
    from runreport.store.sources import open_source

    source = open_source(src)
    if not source.read_only:
        raise InvalidParameterError(f"{src} holds runreport run folders already; nothing to import")
    report = import_source(source, Path(target), Path(registry))
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    click.echo(report.summary())
