"""``runreport build`` and ``runreport ui``: the static site, from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

DEFAULT_RUNS = "runs"
DEFAULT_SITE = "site"
DEFAULT_STAGES = "stages.yaml"


def path_of(location: str) -> Path:
    """A runs folder, an MLflow mlruns/ folder, an mlflow.db file or a sqlite:/// URI."""
    from runreport.store.sources import path_of as _path_of

    return _path_of(location)


def _options(
    runs_dirs: tuple[str, ...],
    output: str,
    registry: str | None,
    title: str,
    strict: bool,
    self_contained: bool,
    exclude: tuple[str, ...] = (),
) -> Any:
    """Build options from the command line and the ``site:`` section of the configuration."""
    from runreport.config import load_config
    from runreport.site.build import BuildOptions

    site = load_config().site
    if registry is None and Path(DEFAULT_STAGES).is_file():
        registry = DEFAULT_STAGES
    return BuildOptions(
        runs_dirs=[path_of(p) for p in (runs_dirs or (DEFAULT_RUNS,))],
        output=Path(output),
        registry=Path(registry) if registry else None,
        title=title,
        strict=strict,
        self_contained=self_contained,
        exclude=(*site.exclude, *exclude),
        show_secrets=site.show_secrets,
        publish_active_artifacts=site.publish_active_artifacts,
    )


def _check_globs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    from runreport.site.exclude import pattern_problem

    for glob in value:
        problem = pattern_problem(glob)
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def _site_options(func: Any) -> Any:
    options = [
        click.argument(
            "runs_dirs", nargs=-1, type=click.Path(), metavar="[RUNS_DIR|mlruns/|mlflow.db]..."
        ),
        click.option(
            "-o",
            "--output",
            default=DEFAULT_SITE,
            show_default=True,
            type=click.Path(file_okay=False),
            help="Folder to write the site into.",
        ),
        click.option(
            "--registry",
            type=click.Path(dir_okay=False),
            metavar="STAGES_YAML",
            help="The registry file. Default: ./stages.yaml when present.",
        ),
        click.option("--title", default="runreport", show_default=True, help="Site title."),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            callback=_check_globs,
            help="Keep matching artifacts out of the site (not copied, listed or previewed); "
            "matched against the path inside the run: '*.ckpt', 'data/**'. Repeatable; adds to "
            "site.exclude of the configuration.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _progress_bar(total: int) -> Any:
    return click.progressbar(length=total, label="Building run pages", file=sys.stderr)


@click.command()
@_site_options
@click.option("--strict", is_flag=True, help="Exit 1 when a run or experiment folder was skipped.")
@click.option(
    "--self-contained", is_flag=True, help="Inline every asset into each page (one file to mail)."
)
def build(
    runs_dirs: tuple[str, ...],
    output: str,
    registry: str | None,
    title: str,
    exclude: tuple[str, ...],
    strict: bool,
    self_contained: bool,
) -> None:
    """Build the static site from RUNS_DIR (default ./runs) into ./site.

    Params and tags whose keys look like secrets (password, token, api_key...) are masked
    unless site.show_secrets in runreport.yaml or [tool.runreport] allows them.
    """
    from runreport.site.build import build_site

    options = _options(runs_dirs, output, registry, title, strict, self_contained, exclude)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _progress_bar(total)
            bar.__enter__()
        bar.update(1)

    report = build_site(options, progress if sys.stderr.isatty() else None)
    if bar is not None:
        bar.__exit__(None, None, None)
    for problem in report.problems:
        click.echo(f"Warning: skipped {problem.path}: {problem.reason}", err=True)
    for refused in report.stats.refused:
        click.echo(f"Warning: not published (changed during the build): {refused}", err=True)
    click.echo(f"Built {options.output}: {report.summary()}", err=True)
    if strict and report.failed:
        click.echo(f"Error: {len(report.problems)} folders were skipped (--strict)", err=True)
        raise SystemExit(1)


@click.command()
@_site_options
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--interval", default=2.0, show_default=True, help="Seconds between change checks.")
def ui(
    runs_dirs: tuple[str, ...],
    output: str,
    registry: str | None,
    title: str,
    exclude: tuple[str, ...],
    port: int,
    host: str,
    interval: float,
) -> None:
    """Build the site, serve it on http://HOST:PORT and rebuild when runs change."""
    from runreport.site.serve import serve

    options = _options(runs_dirs, output, registry, title, False, False, exclude)
    serve(options, host, port, interval, echo=lambda text: click.echo(text, err=True))
