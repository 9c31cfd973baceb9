"""System tags recorded on every new run, with MLflow's tag names where MLflow has one.

``mlflow.user``, ``mlflow.source.name``, ``mlflow.source.type``, ``mlflow.source.git.commit``,
``mlflow.source.git.branch``, ``mlflow.source.git.repoURL`` (also ``mlflow.gitRepoURL``), plus
``runreport.git.dirty``, ``runreport.host``, ``runreport.python_version`` and
``runreport.version``. Git is asked once per process and folder; credentials in remote URLs are
removed before they are recorded.
"""

from __future__ import annotations

import functools
import getpass
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

TAG_SOURCE_NAME = "mlflow.source.name"
TAG_SOURCE_TYPE = "mlflow.source.type"
TAG_GIT_COMMIT = "mlflow.source.git.commit"
TAG_GIT_BRANCH = "mlflow.source.git.branch"
TAG_GIT_REPO_URL = "mlflow.source.git.repoURL"
TAG_GIT_REPO_URL_LEGACY = "mlflow.gitRepoURL"
TAG_GIT_DIRTY = "runreport.git.dirty"
TAG_HOST = "runreport.host"
TAG_PYTHON_VERSION = "runreport.python_version"
TAG_RUNREPORT_VERSION = "runreport.version"


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def entry_point() -> str | None:
    """The script that started this process, if any (not for ``python -c`` or a REPL)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if path else None


def strip_credentials(url: str) -> str:
    """Remove ``user:password@`` from a remote URL so tokens never reach a run or a site."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme and "@" in parts.netloc:
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def _git(folder: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", folder, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@functools.lru_cache(maxsize=16)
def git_tags(folder: str) -> dict[str, str]:
    """Commit, branch, remote URL and dirty flag of the repository holding ``folder``."""
    status = _git(folder, "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    if status is None:
        return {}
    tags: dict[str, str] = {}
    dirty = False
    for line in status.splitlines():
        if line.startswith("# branch.oid ") and line[13:] != "(initial)":
            tags[TAG_GIT_COMMIT] = line[13:]
        elif line.startswith("# branch.head ") and line[14:] != "(detached)":
            tags[TAG_GIT_BRANCH] = line[14:]
        elif not line.startswith("#"):
            dirty = True
    if TAG_GIT_COMMIT not in tags:
        return {}
    tags[TAG_GIT_DIRTY] = "true" if dirty else "false"
    remote = _git(folder, "remote", "get-url", "origin")
    if remote and remote.strip():
        url = strip_credentials(remote.strip())
        tags[TAG_GIT_REPO_URL] = url
        tags[TAG_GIT_REPO_URL_LEGACY] = url
    return tags


def system_tags() -> dict[str, str]:
    """Every automatic tag for a run started now, from this process."""
    from runreport import __version__

    script = entry_point()
    tags = {
        TAG_SOURCE_TYPE: "LOCAL",
        TAG_HOST: socket.gethostname(),
        TAG_PYTHON_VERSION: platform.python_version(),
        TAG_RUNREPORT_VERSION: __version__,
    }
    if script:
        tags[TAG_SOURCE_NAME] = script
    folder = str(Path(script).parent) if script else os.getcwd()
    tags.update(git_tags(folder))
    return tags
