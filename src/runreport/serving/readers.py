"""Read a CSV, JSON, JSON lines or Parquet input as a stream of model-input chunks.

Each reader yields :class:`Chunk` objects of at most ``chunk_size`` rows, so a file larger than
memory is scored piece by piece: CSV through pandas' ``chunksize``, Parquet by record batches
(pyarrow, the ``parquet`` extra), JSON lines a line at a time. A JSON document (one request
payload, as the server takes) is read whole, like the server reads a request.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

import pandas as pd

from runreport.exceptions import InvalidParameterError, RunReportError
from runreport.models.schema import Schema
from runreport.serving.coercion import coerce_input
from runreport.serving.errors import BadRequestError, MissingExtraError
from runreport.serving.protocol import INPUT_KEYS, decode_json, parse_json_payload, read_csv

INPUT_FORMATS = ("json", "csv", "parquet")
_EXTENSIONS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class Chunk:
    """Rows ``start`` to ``start + rows - 1`` of the input, ready for ``model.predict``."""

    start: int
    rows: int
    data: Any
    params: dict[str, Any] | None = None


def input_format(path: str, given: str | None) -> str:
    """``given``, or the format the file name says (``.csv``, ``.parquet``), else ``json``."""
    if given is not None:
        if given not in INPUT_FORMATS:
            raise InvalidParameterError(
                f"input format {given!r} is not valid; expected one of {', '.join(INPUT_FORMATS)}"
            )
        return given
    return _EXTENSIONS.get(Path(path).suffix.lower(), "json")


def read_chunks(path: str, fmt: str, schema: Schema | None, chunk_size: int) -> Iterator[Chunk]:
    """The input at ``path`` (``-`` for stdin) as chunks of at most ``chunk_size`` rows."""
    if chunk_size < 1:
        raise InvalidParameterError(f"chunk size must be at least 1, got {chunk_size}")
    if path != "-" and not os.path.isfile(path):
        raise InvalidParameterError(f"input file {path!r} does not exist")
    readers = {"csv": _csv_chunks, "parquet": _parquet_chunks, "json": _json_chunks}
    with _open_binary(path) as source:
        yield from readers[fmt](source, schema, chunk_size)


def _open_binary(path: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    return open(path, "rb")


def _csv_chunks(source: IO[bytes], schema: Schema | None, chunk_size: int) -> Iterator[Chunk]:
    start = 0
    with read_csv(source, schema, chunksize=chunk_size) as frames:
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                return
            except (ValueError, TypeError) as exc:
                raise BadRequestError(f"CSV input after row {start}: {exc}") from None
            yield _frame_chunk(start, frame, schema)
            start += len(frame)


def _parquet_chunks(source: IO[bytes], schema: Schema | None, chunk_size: int) -> Iterator[Chunk]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtraError("pyarrow", "parquet", "reading Parquet input") from None
    seekable = source if source.seekable() else io.BytesIO(source.read())
    start = 0
    try:
        batches = pq.ParquetFile(seekable).iter_batches(batch_size=chunk_size)
        while (frame := _next_frame(batches)) is not None:
            yield _frame_chunk(start, frame, schema)
            start += len(frame)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        if isinstance(exc, RunReportError):
            raise
        raise BadRequestError(f"Failed to read the input as a Parquet file: {exc}") from None


def _next_frame(batches: Iterator[Any]) -> pd.DataFrame | None:
    batch = next(batches, None)
    return None if batch is None else batch.to_pandas()


def _frame_chunk(start: int, frame: pd.DataFrame, schema: Schema | None) -> Chunk:
    return Chunk(start, len(frame), coerce_input(frame, schema, decode_binary=False))


def _json_chunks(source: IO[bytes], schema: Schema | None, chunk_size: int) -> Iterator[Chunk]:
    lines = (line for line in _text_lines(source) if line.strip())
    first = next(lines, None)
    if first is None:
        raise BadRequestError("the JSON input is empty")
    head = _json_object(first)
    if head is None:  # a JSON document spread over several lines: one request payload
        document = decode_json(first + "".join(lines))
        yield _payload_chunk(0, document, schema)
    elif any(key in head for key in INPUT_KEYS):  # JSON lines of request payloads
        yield from _payload_lines(head, lines, schema)
    else:  # JSON lines of records, one row each
        yield from _record_lines(head, lines, schema, chunk_size)


def _text_lines(source: IO[bytes]) -> Iterator[str]:
    for number, raw in enumerate(source, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError(f"JSON input, line {number}: not valid UTF-8 ({exc})") from None


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _payload_chunk(start: int, payload: Any, schema: Schema | None) -> Chunk:
    model_input = parse_json_payload(payload, schema)
    rows = len(model_input.data) if hasattr(model_input.data, "__len__") else 1
    return Chunk(start, rows, model_input.data, model_input.params)


def _payload_lines(
    head: dict[str, Any], lines: Iterator[str], schema: Schema | None
) -> Iterator[Chunk]:
    chunk = _payload_chunk(0, head, schema)
    yield chunk
    start = chunk.rows
    for number, line in enumerate(lines, start=2):
        try:
            chunk = _payload_chunk(start, decode_json(line), schema)
        except BadRequestError as exc:
            raise BadRequestError(f"JSON lines input, line {number}: {exc}") from None
        yield chunk
        start += chunk.rows


def _record_lines(
    head: dict[str, Any], lines: Iterator[str], schema: Schema | None, chunk_size: int
) -> Iterator[Chunk]:
    records = [head, *(_record(line) for line in islice(lines, chunk_size - 1))]
    start = 0
    while records:
        frame = pd.DataFrame(records)
        yield Chunk(start, len(records), coerce_input(frame, schema, decode_binary=True))
        start += len(records)
        records = [_record(line) for line in islice(lines, chunk_size)]


def _record(line: str) -> dict[str, Any]:
    value = decode_json(line)
    if not isinstance(value, dict):
        raise BadRequestError(
            f"JSON lines input: every line must be an object (one record); got {line[:80]!r}"
        )
    return value
