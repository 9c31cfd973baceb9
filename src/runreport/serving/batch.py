"""Batch scoring (``runreport predict``): a file in, predictions out, one chunk at a time.

The input is read in chunks of ``chunk_size`` rows (:mod:`runreport.serving.readers`), each
chunk goes through the same signature check as a server request, and predictions are written
as they come (:mod:`runreport.serving.writers`), so memory stays bounded by the chunk size. An
output file is written under a temporary name and renamed at the end: a failed run leaves no
half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from runreport.exceptions import BAD_REQUEST, RunReportError
from runreport.serving.readers import Chunk, input_format, read_chunks
from runreport.serving.writers import PredictionWriter, output_format

DEFAULT_CHUNK_SIZE = 10_000


def score_file(
    model_uri: str | os.PathLike[str],
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str] | None = None,
    *,
    content_type: str | None = None,
    output_type: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> int:
    """Score every row of ``input_path`` with the model at ``model_uri``; return the row count.

    Args:
        model_uri: a local path, ``runs:/`` or ``models:/`` URI.
        input_path: a CSV, JSON (a request payload, or JSON lines of records or payloads) or
            Parquet file; ``-`` reads stdin.
        output_path: where to write predictions; ``None`` or ``-`` writes to stdout.
        content_type: ``json``, ``csv`` or ``parquet``; by default from the input's extension
            (``.csv``, ``.parquet``), else ``json``.
        output_type: ``json`` (``{"predictions": [...]}``), ``jsonl`` or ``csv``; by default
            from the output's extension, else ``json``.
        chunk_size: rows scored at a time.

    Raises:
        RunReportError: bad input (the message names the rows), or no such model.
    """
    from runreport.models.pyfunc import load_model

    source = os.fspath(input_path)
    target = os.fspath(output_path) if output_path is not None else None
    in_format = input_format(source, content_type)
    out_format = output_format(target, output_type)
    model = load_model(model_uri)
    schema = model.metadata.get_input_schema()
    rows = 0
    with _output(target) as stream:
        writer = PredictionWriter(stream, out_format)
        for chunk in read_chunks(source, in_format, schema, chunk_size):
            writer.write(_predict(model, chunk, source))
            rows += chunk.rows
        writer.close()
    return rows


def _predict(model: Any, chunk: Chunk, source: str) -> Any:
    where = (
        f"{'stdin' if source == '-' else source}, rows {chunk.start + 1}-{chunk.start + chunk.rows}"
    )
    try:
        return model.predict(chunk.data, params=chunk.params)
    except RunReportError as exc:
        raise RunReportError(f"{where}: {exc.message}", exc.error_code) from None
    except Exception as exc:  # the model failed on these rows
        raise RunReportError(
            f"{where}: the model raised {type(exc).__name__}: {exc}", BAD_REQUEST
        ) from exc


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file next to ``path`` renamed to ``path`` on success."""
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
