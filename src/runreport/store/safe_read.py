"""Reading the files of a run folder without trusting them.

Files are opened without following symlinks and without blocking, checked to be regular files of
a bounded size, and read unbuffered (cheaper per small file than ``open().read()``). What is
not a regular file (a named pipe, socket, device, folder or symlink) or is too large becomes a
:class:`~runreport.exceptions.RunFormatError` naming the file, so no reader ever hangs on a FIFO
or reads through a link out of the run folder.
"""

from __future__ import annotations

import errno
import os
import stat

from runreport.exceptions import RunFormatError
from runreport.store import format as fmt

# Non-blocking, so that opening a named pipe (FIFO) returns at once instead of waiting for a
# writer; not following a symlink, so that a record never comes from outside its folder.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_FOLLOW_FLAGS = _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)
_SYMLINK_ERRNOS = {errno.ELOOP, errno.EMLINK}


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(path: object, mode: int) -> RunFormatError:
    return RunFormatError(path, f"is {_file_kind(mode)}; runreport reads only regular files")


def _too_large(path: object, size: int, limit: int) -> RunFormatError:
    return RunFormatError(
        path, f"is {size:,} bytes, larger than the {limit:,} bytes runreport reads"
    )


def read_file(
    path: str | os.PathLike[str], limit: int = fmt.MAX_RECORD_BYTES, start: int = 0
) -> bytes:
    """The bytes of a regular file of a run folder from offset ``start``.

    Never blocks and never follows a symlink: a named pipe, socket, device, directory or
    symlink, or a file larger than ``limit``, is a RunFormatError naming the file. A missing file
    raises FileNotFoundError.
    """
    return read_file_and_stat(path, limit, start)[0]


def read_file_and_stat(
    path: str | os.PathLike[str],
    limit: int = fmt.MAX_RECORD_BYTES,
    start: int = 0,
    follow_symlinks: bool = False,
) -> tuple[bytes, os.stat_result]:
    """:func:`read_file`, plus the ``stat`` of the very file that was read.

    Writers replace records atomically (a new inode each time), so the inode, size and mtime
    returned identify the bytes returned, not whatever the path names a moment later.
    ``follow_symlinks`` lets a symlink lead to the file (for files outside run folders).
    """
    fd, info = _open_regular(path, _FOLLOW_FLAGS if follow_symlinks else _OPEN_FLAGS)
    try:
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit)
        return _read_all(fd, start, info.st_size - start), info
    finally:
        os.close(fd)


def read_head(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most the first ``limit`` bytes of the regular file ``path`` (for previews).

    Like :func:`read_file`, it never blocks and never follows a symlink at ``path``; unlike it,
    a larger file is not an error: only its head is read.
    """
    fd, info = _open_regular(path, _OPEN_FLAGS)
    try:
        return _read_all(fd, 0, min(limit, info.st_size))
    finally:
        os.close(fd)


def _open_regular(path: str | os.PathLike[str], flags: int) -> tuple[int, os.stat_result]:
    """An open descriptor of the regular file ``path`` and its ``fstat`` (the caller closes it)."""
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(errno.ENOENT, "No such file", os.fspath(path)) from None
    except OSError as exc:
        raise _unopenable(path, exc) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _not_regular(path, info.st_mode)
    return fd, info


def _read_all(fd: int, start: int, size: int) -> bytes:
    """``size`` bytes from offset ``start``, fewer at end of file (unbuffered: much cheaper per
    small file than ``open().read()``). Bytes appended after the ``fstat`` are left for later."""
    if size <= 0:
        return b""
    if start:
        os.lseek(fd, start, os.SEEK_SET)
    data = os.read(fd, size)
    if len(data) == size or not data:
        return data
    chunks, left = [data], size - len(data)
    while left and (chunk := os.read(fd, left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _unopenable(path: str | os.PathLike[str], exc: OSError) -> RunFormatError:
    """Why ``path`` could not be opened: what it is when it is not a regular file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        mode = stat.S_IFLNK if exc.errno in _SYMLINK_ERRNOS else stat.S_IFREG
    if not stat.S_ISREG(mode):  # a symlink (O_NOFOLLOW refused it), a socket...
        return _not_regular(path, mode)
    return RunFormatError(path, f"cannot be read ({exc.strerror})")


def is_dir(entry: os.DirEntry[str]) -> bool:
    """``entry.is_dir()``, False for what cannot be followed (a symlink loop)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def history_stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    """The ``lstat`` of a ``metrics.tsv`` (None when there is none): a regular file within the
    history size limit, or a RunFormatError naming it."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)
    if info.st_size > fmt.MAX_HISTORY_BYTES:
        raise _too_large(path, info.st_size, fmt.MAX_HISTORY_BYTES)
    return info


def read_history(path: str | os.PathLike[str], start: int = 0) -> bytes:
    try:
        return read_file(path, fmt.MAX_HISTORY_BYTES, start)
    except FileNotFoundError:
        return b""
