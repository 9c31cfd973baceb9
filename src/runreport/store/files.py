"""File primitives the store is built on: atomic replace, exclusive create, folder locks.

Every record file is replaced atomically (write a temporary file in the same folder, then
``os.replace``), so a reader never sees half a file and a crash leaves either the old or the new
version. Temporary files start with :data:`format.TEMP_PREFIX` and readers ignore them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from runreport.store.format import MAX_HISTORY_BYTES, TEMP_PREFIX
from runreport.store.safe_read import read_file

try:  # POSIX advisory locks; on platforms without fcntl, in-process locking only.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def temp_path(path: Path, keep_suffix: bool = False) -> Path:
    """A unique temporary name beside ``path``: ``.tmp-<name>.<random>``, which readers ignore.

    With ``keep_suffix`` the name ends with ``path``'s suffix too (``.tmp-plot.svg.<random>.svg``),
    for writers that choose a file format from the suffix.
    """
    suffix = path.suffix if keep_suffix else ""
    return path.with_name(f"{TEMP_PREFIX}{path.name}.{uuid.uuid4().hex[:12]}{suffix}")


@contextlib.contextmanager
def replacing(path: Path, keep_suffix: bool = False) -> Iterator[Path]:
    """A temporary path to write; renamed onto ``path`` when the block succeeds.

    Readers see the old file or the new one, never half of it. When the block fails, the
    temporary file (or folder) is removed; a crash leaves it behind under its ignored name.
    """
    temp = temp_path(path, keep_suffix)
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        remove_tree(temp)
        raise


def remove_tree(path: Path) -> None:
    """Remove a file or a folder tree if it exists (errors ignored)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) so readers see the old or the new file, never half."""
    with replacing(path) as temp, open(temp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` unless it exists; return False when it already did.

    The file appears complete or not at all: it is written under a temporary name and hard
    linked into place, which fails atomically when the name is taken.
    """
    temp = temp_path(path)
    try:
        with open(temp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` (a ``flock`` on the folder itself).

    Each call opens its own descriptor, so the lock excludes other threads as well as other
    processes. The kernel drops it when a process dies, so a killed writer never leaves it held.
    """
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_bytes(path: Path, start: int = 0) -> bytes:
    """The bytes of the regular file ``path`` from offset ``start`` (empty when it does not exist).

    Never blocks and never follows a symlink: a named pipe, socket, device, folder or symlink at
    ``path``, or a file past the history size limit, is a RunFormatError naming it.
    """
    try:
        return read_file(path, MAX_HISTORY_BYTES, start)
    except FileNotFoundError:
        return b""


def file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
