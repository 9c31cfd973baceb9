"""Write predictions chunk by chunk as JSON, JSON lines or CSV, to a file or stdout.

``json`` is the server's answer, ``{"predictions": [...]}``, written incrementally so it never
has to be held in memory; ``jsonl`` is one prediction per line; ``csv`` has one column per model
output (``prediction`` for a one-dimensional output) and a header row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from runreport.exceptions import InvalidParameterError
from runreport.serving.protocol import dumps, encode_value, jsonable

OUTPUT_FORMATS = ("json", "jsonl", "csv")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def output_format(path: str | None, given: str | None) -> str:
    """``given``, or the format the output file name says, else ``json``."""
    if given is not None:
        if given not in OUTPUT_FORMATS:
            raise InvalidParameterError(
                f"output format {given!r} is not valid; expected one of {', '.join(OUTPUT_FORMATS)}"
            )
        return given
    return _EXTENSIONS.get(Path(path).suffix.lower(), "json") if path else "json"


class PredictionWriter:
    """Writes prediction chunks to a text stream in one of :data:`OUTPUT_FORMATS`."""

    def __init__(self, stream: IO[str], fmt: str) -> None:
        self.stream = stream
        self.fmt = fmt
        self.chunks = 0
        self._whole = False  # a non-list output was written as a complete document
        self._items = 0

    def write(self, predictions: Any) -> None:
        if self._whole:
            raise InvalidParameterError(
                "the model does not return one prediction per row, so its output cannot be "
                "written chunk by chunk; score the input in one chunk (a larger --chunk-size)"
            )
        if self.fmt == "csv":
            self._write_csv(predictions)
        else:
            self._write_json(jsonable(predictions))
        self.chunks += 1

    def close(self) -> None:
        """Finish the document (the closing ``]}`` of JSON output)."""
        if self.fmt == "json" and not self._whole:
            self.stream.write("]}\n" if self.chunks else '{"predictions": []}\n')

    def _write_json(self, items: Any) -> None:
        if not isinstance(items, list):
            if self.chunks:
                self._whole = True
                self.write(None)  # raises: a list was streamed before
            document = items if self.fmt == "jsonl" else {"predictions": items}
            self.stream.write(dumps(document).decode() + "\n")
            self._whole = True
        elif self.fmt == "jsonl":
            self.stream.writelines(json.dumps(item, default=encode_value) + "\n" for item in items)
        else:
            if not self.chunks:
                self.stream.write('{"predictions": [')
            if items:
                self.stream.write((", " if self._items else "") + dumps(items).decode()[1:-1])
                self._items += len(items)

    def _write_csv(self, predictions: Any) -> None:
        frame = prediction_frame(predictions)
        frame.to_csv(self.stream, header=not self.chunks, index=False, lineterminator="\n")


def prediction_frame(predictions: Any) -> pd.DataFrame:
    """Predictions as a table: one column per output, ``prediction`` for a single output."""
    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(
            predictions.name if predictions.name is not None else "prediction"
        )
    if isinstance(predictions, dict):
        return pd.DataFrame(predictions)
    array = np.asarray(predictions)
    if array.ndim <= 1:
        return pd.DataFrame({"prediction": array.reshape(-1)})
    return pd.DataFrame(array.reshape(len(array), -1))
