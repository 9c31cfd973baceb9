"""``runreport serve`` and ``runreport predict``: thin commands over :mod:`runreport.serving`.

Registered on the main group by :mod:`runreport.cli`; everything heavy is imported inside the
command functions, so ``runreport --help`` stays fast and works without the ``serve`` extra.
"""

from __future__ import annotations

import re

import click

_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


class ByteSize(click.ParamType):
    """A size in bytes: ``16777216``, ``16MiB``, ``500KB``, ``1G``."""

    name = "BYTES"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):  # type: ignore[no-untyped-def]
        if isinstance(value, int):
            return value
        match = _SIZE.match(str(value))
        if not match or int(match.group(1)) < 1:
            self.fail(f"{value!r} is not a size in bytes (e.g. 16777216, 16MiB, 500KB)", param, ctx)
        unit = (match.group(2) or "").lower()
        scale = 1024 ** "bkmg".index(unit[0]) if "i" in unit else _UNITS[unit[:1]]
        return int(match.group(1)) * scale


def _use_tracking_uri(ctx: click.Context) -> None:
    """Honour ``runreport --tracking-uri`` for ``runs:/`` and ``models:/`` model URIs."""
    tracking_uri = (ctx.obj or {}).get("tracking_uri")
    if tracking_uri:
        from runreport import set_tracking_uri

        set_tracking_uri(tracking_uri)


@click.command()
@click.option(
    "--model-uri",
    "-m",
    required=True,
    metavar="URI",
    help="Model to serve: a path, runs:/<run_id>/<path> or models:/<name>/<stage>.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="RUNREPORT_SERVE_WORKERS",
    help="Worker processes, each with its own copy of the model.",
)
@click.option(
    "--timeout",
    "-t",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds one request may take before the server answers 504.",
)
@click.option(
    "--max-body-size",
    type=ByteSize(),
    default="16MiB",
    show_default=True,
    help="Largest request body (413 beyond it), e.g. 16777216 or 64MiB.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Logs are JSON lines on stderr, one access line per request.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    model_uri: str,
    host: str,
    port: int,
    workers: int,
    timeout: float,
    max_body_size: int,
    log_level: str,
) -> None:
    """Serve a model over HTTP with MLflow's scoring protocol.

    Endpoints: GET /ping, GET /health, GET /version and POST /invocations, which takes
    application/json ({"dataframe_split": ...}, {"dataframe_records": ...}, {"instances": ...}
    or {"inputs": ...}, with optional "params") or text/csv, and answers
    {"predictions": [...]}. Stops gracefully on SIGTERM. Needs the 'serve' extra.
    """
    from runreport.serving.server import serve as run_server

    _use_tracking_uri(ctx)
    run_server(
        model_uri,
        host=host,
        port=port,
        workers=workers,
        timeout=timeout,
        max_body_size=max_body_size,
        log_level=log_level,
    )


@click.command()
@click.option("--model-uri", "-m", required=True, metavar="URI", help="Model to score with.")
@click.option(
    "--input-path",
    "-i",
    required=True,
    metavar="PATH",
    help="CSV, JSON, JSON lines or Parquet file; '-' reads stdin.",
)
@click.option(
    "--output-path",
    "-o",
    metavar="PATH",
    help="Where to write predictions. Default: stdout.",
)
@click.option(
    "--content-type",
    "-t",
    type=click.Choice(["json", "csv", "parquet"]),
    help="Input format. Default: from the file extension (.csv, .parquet), else json.",
)
@click.option(
    "--output-format",
    type=click.Choice(["json", "jsonl", "csv"]),
    help='Output format. Default: from the output extension, else json ({"predictions": [...]}).',
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows scored at a time; memory use is bounded by it.",
)
@click.pass_context
def predict(
    ctx: click.Context,
    model_uri: str,
    input_path: str,
    output_path: str | None,
    content_type: str | None,
    output_format: str | None,
    chunk_size: int,
) -> None:
    """Score a file with a model, in chunks, so files larger than memory work.

    JSON input is either one request payload, as POST /invocations takes, or JSON lines:
    one record ({"x": 1.0, ...}) or one payload per line.
    """
    from runreport.serving.batch import score_file

    _use_tracking_uri(ctx)
    rows = score_file(
        model_uri,
        input_path,
        output_path,
        content_type=content_type,
        output_type=output_format,
        chunk_size=chunk_size,
    )
    if output_path not in (None, "-"):
        click.echo(f"scored {rows} rows into {output_path}", err=True)
