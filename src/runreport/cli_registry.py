"""``runreport models ...`` and ``runreport registry ...``: the registry's commands.

Thin: each command parses its options and calls the registry library (imported when the command
runs). Library errors become one-line messages with exit code 1 in ``runreport.cli``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _registry_option(command: F) -> F:
    return click.option(
        "--registry",
        "registry",
        metavar="PATH",
        help="The stages.yaml to use. Default: $RUNREPORT_REGISTRY, registry.path in "
        "runreport.yaml or pyproject.toml, else ./stages.yaml.",
    )(command)


def _client(ctx: click.Context, registry: str | None) -> Any:
    from runreport.tracking.client import Client

    return Client((ctx.obj or {}).get("tracking_uri"), registry_uri=registry)


# ---------------------------------------------------------------- models


@click.group()
def models() -> None:
    """List, inspect, promote and alias registered models (edits stages.yaml)."""


@models.command("list")
@_registry_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def models_list(ctx: click.Context, registry: str | None, fmt: str) -> None:
    """List registered models with their versions per stage and aliases."""
    from runreport.cli_output import to_table

    client = _client(ctx, registry)
    found = client.search_registered_models(max_results=None)
    if fmt == "json":
        click.echo(json.dumps([m.to_dict() for m in found], indent=2, ensure_ascii=False))
        return
    versions = client.search_model_versions(max_results=None)
    click.echo(to_table([_model_row(model, versions) for model in found]))


def _model_row(model: Any, all_versions: list[Any]) -> dict[str, Any]:
    versions = [v for v in all_versions if v.name == model.name]
    held = {
        stage: ",".join(str(v.version) for v in versions if v.current_stage == stage)
        for stage in ("Staging", "Production", "Archived")
    }
    return {
        "name": model.name,
        "versions": len(versions),
        "stages": " ".join(f"{stage}:{numbers}" for stage, numbers in held.items() if numbers),
        "aliases": " ".join(f"{alias}:{v}" for alias, v in model.aliases.items()),
        "description": (model.description or "").partition("\n")[0],
    }


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


@models.command("show")
@click.argument("name")
@_registry_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def models_show(ctx: click.Context, name: str, registry: str | None, fmt: str) -> None:
    """Show one registered model: description, aliases and every version."""
    from runreport.cli_output import to_table

    client = _client(ctx, registry)
    model = client.get_registered_model(name)
    versions = client.search_model_versions(f"name = '{_quote(name)}'", max_results=None)
    if fmt == "json":
        data = {**model.to_dict(), "versions": [v.to_dict() for v in versions]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"Model {model.name}")
    if model.description:
        click.echo(f"  description  {model.description}")
    aliases = ", ".join(f"{alias} -> v{v}" for alias, v in model.aliases.items())
    click.echo(f"  aliases      {aliases or '(none)'}")
    click.echo("")
    rows = [
        {
            "version": v.version,
            "stage": v.current_stage,
            "aliases": ",".join(v.aliases),
            "source": v.source,
            "description": v.description or "",
        }
        for v in versions
    ]
    click.echo(to_table(rows))


@models.command("promote")
@click.argument("name")
@click.argument("version")
@click.argument("stage")
@click.option(
    "--archive-existing",
    is_flag=True,
    help="Move the model's other versions in STAGE to Archived (Staging and Production only).",
)
@_registry_option
@click.pass_context
def models_promote(
    ctx: click.Context,
    name: str,
    version: str,
    stage: str,
    archive_existing: bool,
    registry: str | None,
) -> None:
    """Move VERSION of model NAME to STAGE (None, Staging, Production, Archived)."""
    client = _client(ctx, registry)
    before = {v.version: v.current_stage for v in _versions(client, name)}
    moved = client.transition_model_version_stage(name, version, stage, archive_existing)
    click.echo(f"{name} v{moved.version}: {before.get(moved.version)} -> {moved.current_stage}")
    for other in _versions(client, name):
        if other.version != moved.version and before.get(other.version) != other.current_stage:
            click.echo(f"{name} v{other.version}: {before[other.version]} -> {other.current_stage}")
    _edited(registry)


def _edited(registry: str | None) -> None:
    from runreport.registry.location import display_label, registry_path

    click.echo(f"Edited {display_label(registry_path(registry))}; commit it in a pull request.")


def _versions(client: Any, name: str) -> list[Any]:
    return list(client.search_model_versions(f"name = '{_quote(name)}'", max_results=None))


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@_registry_option
@click.pass_context
def models_alias(
    ctx: click.Context, name: str, alias: str, version: str, registry: str | None
) -> None:
    """Point ALIAS (such as champion) of model NAME at VERSION."""
    client = _client(ctx, registry)
    client.set_registered_model_alias(name, alias, version)
    target = client.get_model_version_by_alias(name, alias)
    click.echo(f"{name} alias {alias} -> v{target.version}")
    _edited(registry)


# ---------------------------------------------------------------- registry


@click.group()
def registry() -> None:
    """Check the registry file and show its history from git."""


@registry.command("check")
@_registry_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="github: also print GitHub Actions error annotations.",
)
@click.pass_context
def registry_check(ctx: click.Context, registry: str | None, fmt: str) -> None:
    """Validate stages.yaml and the promotion policies; exit 1 if there is any problem."""
    from runreport.registry.check import check_registry
    from runreport.tracking.client import Client

    report = check_registry(registry, client=Client((ctx.obj or {}).get("tracking_uri")))
    for problem in report.problems:
        click.echo(str(problem))
        if fmt == "github":
            line = f",line={problem.line}" if problem.line else ""
            message = problem.message.replace("%", "%25").replace("\n", "%0A")
            click.echo(f"::error file={problem.label}{line}::{message}")
    click.echo(report.summary())
    if not report.ok:
        ctx.exit(1)


@registry.command("history")
@_registry_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option("--no-pending", is_flag=True, help="Leave out uncommitted changes.")
@click.pass_context
def registry_history(ctx: click.Context, registry: str | None, fmt: str, no_pending: bool) -> None:
    """Show every change to stages.yaml from git: registrations, promotions, aliases."""
    from runreport.cli_output import to_table
    from runreport.registry import changelog
    from runreport.registry.history import registry_history as history
    from runreport.tracking.client import Client

    client = Client((ctx.obj or {}).get("tracking_uri"))
    events = history(registry, client=client, include_pending=not no_pending)
    if fmt == "json":
        click.echo(changelog.to_json(events))
    elif fmt == "markdown":
        click.echo(changelog.to_markdown(events), nl=False)
    else:
        click.echo(to_table(changelog.event_rows(events)))
