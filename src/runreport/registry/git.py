"""The git commands registry history needs: the log of one file and its blobs, via the git CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from runreport.exceptions import InvalidStateError

_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = _RECORD + _FIELD.join(("%H", "%an", "%ae", "%cI", "%s"))


class HistoryUnavailableError(InvalidStateError):
    """History cannot be read: git is missing, the file is outside a repository, or the clone
    is shallow. The rest of the registry still works."""


@dataclass(frozen=True)
class LogEntry:
    """One commit that changed the file: ``path`` is the file's path at that commit,
    ``renamed_from`` its previous path when the commit renamed it, ``deleted`` when the commit
    removed it."""

    sha: str
    author: str
    email: str
    date: str
    subject: str
    path: str
    renamed_from: str | None = None
    deleted: bool = False


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    executable = shutil.which("git")
    if executable is None:
        raise HistoryUnavailableError(
            "registry history needs git, and no 'git' executable is on PATH; install git"
        )
    done = subprocess.run(
        [executable, "-c", "core.quotePath=false", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryUnavailableError(
            f"git {args[0]} failed in {cwd}: {message[-1] if message else 'no message'}"
        )
    return done.stdout


def repository_root(path: Path) -> Path:
    """The top folder of the git repository holding ``path``.

    Raises:
        HistoryUnavailableError: git is missing or ``path`` is not inside a repository.
    """
    folder = path.parent
    if not folder.is_dir():
        raise HistoryUnavailableError(f"cannot read the history of {path}: {folder} does not exist")
    try:
        top = _git(folder, "rev-parse", "--show-toplevel").decode().strip()
    except HistoryUnavailableError as exc:
        if "not a git repository" not in str(exc):
            raise
        raise HistoryUnavailableError(
            f"{path} is not inside a git repository, so it has no history; commit it to a git "
            "repository to track promotions"
        ) from None
    return Path(top)


def check_not_shallow(root: Path) -> None:
    """Raise when the clone is shallow: its log would be cut and the changelog wrong."""
    if _git(root, "rev-parse", "--is-shallow-repository").decode().strip() == "true":
        raise HistoryUnavailableError(
            "this is a shallow clone, so the registry's history is cut and a changelog would "
            "be wrong; fetch the full history with `git fetch --unshallow` (in GitHub Actions, "
            "set `fetch-depth: 0` on actions/checkout)"
        )


def has_commits(root: Path) -> bool:
    """Whether the repository has a HEAD commit."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except HistoryUnavailableError:
        return False
    return True


def file_log(root: Path, relative: str) -> list[LogEntry]:
    """Commits on HEAD's first-parent line that changed ``relative``, newest first, following
    renames. A merged pull request is its merge commit, diffed against the branch it entered."""
    raw = _git(
        root,
        "log",
        "--first-parent",
        "--follow",
        f"--format={_FORMAT}",
        "--name-status",
        "--",
        relative,
    ).decode("utf-8", "replace")
    entries = []
    known = relative
    for chunk in raw.split(_RECORD)[1:]:
        header, _, changes = chunk.partition("\n")
        sha, author, email, date, subject = header.split(_FIELD, 4)
        path, renamed_from, deleted = _changed_path(changes)
        path = path or known
        known = renamed_from or path
        entries.append(LogEntry(sha, author, email, date, subject, path, renamed_from, deleted))
    return entries


def _changed_path(changes: str) -> tuple[str | None, str | None, bool]:
    """``(path, renamed_from, deleted)`` from a commit's ``--name-status`` lines."""
    for line in changes.splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        status = parts[0][:1]
        if status in ("R", "C") and len(parts) >= 3:
            return parts[2], parts[1], False
        return parts[-1], None, status == "D"
    return None, None, False


def blobs(root: Path, specs: list[str]) -> dict[str, str | None]:
    """The text of each ``<commit>:<path>`` in ``specs`` (None when missing), in one git call."""
    if not specs:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    texts: dict[str, str | None] = {}
    position = 0
    for spec in specs:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) < 3 or header[1] != b"blob":
            texts[spec] = None
            continue
        size = int(header[2])
        texts[spec] = out[position : position + size].decode("utf-8", "replace")
        position += size + 1
    return texts
