"""``checksums.sha256``: the SHA-256 of every file of a model, checked before anything is loaded.

A pickle is code. runreport writes ``<hex digest>  <relative path>`` lines (``sha256sum``'s
format, sorted by path) for every file of a model it saves, and refuses to deserialize a model
whose files no longer match. ``sha256sum -c checksums.sha256`` checks a model by hand.

This detects a swapped or damaged file; it does not authenticate the model (whoever can replace
the pickle can rewrite this file too). Models without the file, such as those MLflow saves,
load without the check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from runreport.exceptions import INVALID_STATE, RunReportError
from runreport.models import format as fmt

_CHUNK = 1 << 20
MAX_CHECKSUMS_BYTES = 16 * 1024 * 1024


class ModelIntegrityError(RunReportError):
    """A model file does not match ``checksums.sha256``, or is missing from it."""

    error_code = INVALID_STATE


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _model_files(model_dir: Path) -> list[str]:
    files = (p for p in model_dir.rglob("*") if p.is_file() and not p.is_symlink())
    names = (p.relative_to(model_dir).as_posix() for p in files)
    return sorted(n for n in names if n != fmt.CHECKSUMS_FILE)


def write_checksums(model_dir: Path) -> None:
    """Write ``checksums.sha256`` covering every other file under ``model_dir``."""
    lines = [f"{file_digest(model_dir / name)}  {name}\n" for name in _model_files(model_dir)]
    (model_dir / fmt.CHECKSUMS_FILE).write_text("".join(lines), encoding="utf-8")


def read_checksums(model_dir: Path) -> dict[str, str] | None:
    """Path -> digest from ``checksums.sha256``; None when the model has no such file."""
    path = model_dir / fmt.CHECKSUMS_FILE
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is not a regular file; the model cannot be checked")
    if path.stat().st_size > MAX_CHECKSUMS_BYTES:
        raise ModelIntegrityError(f"{path} is larger than {MAX_CHECKSUMS_BYTES} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelIntegrityError(f"{path} is not UTF-8 text") from None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ModelIntegrityError(
                f"{path} line {number} is not '<sha256>  <file>': {line[:100]!r}"
            )
        name = name.lstrip("*")
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts:
            raise ModelIntegrityError(f"{path} line {number} names a file outside the model")
        entries[pure.as_posix()] = digest.lower()
    return entries


def verify_model_files(model_dir: Path, to_load: Iterable[str]) -> None:
    """Check every file listed in ``checksums.sha256``, and that ``to_load`` are all listed.

    Raises:
        ModelIntegrityError: a listed file is missing or changed (the message names the file
            and both digests), or a file about to be loaded is not listed.
    """
    entries = read_checksums(model_dir)
    if entries is None:
        return
    for name, expected in sorted(entries.items()):
        _check_entry(model_dir, name, expected)
    for name in to_load:
        normal = PurePosixPath(name).as_posix()
        if normal not in entries:
            raise ModelIntegrityError(
                f"refusing to load {model_dir / normal}: it is not listed in "
                f"{model_dir / fmt.CHECKSUMS_FILE}, so it was not saved with this model"
            )


def _check_entry(model_dir: Path, name: str, expected: str) -> None:
    path = model_dir / name
    if not path.is_file():
        raise ModelIntegrityError(
            f"model file {path} is listed in {fmt.CHECKSUMS_FILE} but missing; "
            "the model is incomplete"
        )
    actual = file_digest(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"refusing to load the model in {model_dir}: {name} has changed since the model "
            f"was saved (sha256 expected {expected}, found {actual})"
        )
