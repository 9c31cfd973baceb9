"""Where stages.yaml is, and reading and editing it safely.

The registry file is, in order of precedence: an explicit path (``--registry``,
``Client(registry_uri=...)``), the ``RUNREPORT_REGISTRY`` environment variable, ``registry.path``
in the configuration (:mod:`runreport.config`), then ``stages.yaml`` in the current directory. A
folder means the ``stages.yaml`` inside it. Edits hold a lock on the file's folder, re-read the
file, validate before and after the change, and replace the file atomically.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.registry import stages, yamlfile

REGISTRY_ENV = "RUNREPORT_REGISTRY"
DEFAULT_FILE = "stages.yaml"

T = TypeVar("T")


def registry_path(registry_uri: str | os.PathLike[str] | None = None) -> Path:
    """The absolute path of the registry file in force.

    Args:
        registry_uri: an explicit file or folder path or ``file://`` URI; None to use
            ``RUNREPORT_REGISTRY``, then the configuration, then ``./stages.yaml``.

    Raises:
        InvalidParameterError: the URI names a registry runreport cannot use (a server).
        ConfigError: the configuration file is invalid.
    """
    if registry_uri is not None and os.fspath(registry_uri):
        return _file_path(os.fspath(registry_uri))
    env = os.environ.get(REGISTRY_ENV)
    if env:
        return _file_path(env)
    from runreport.config import load_config

    configured = load_config().registry.path
    return _file_path(str(configured) if configured else DEFAULT_FILE)


def _file_path(text: str) -> Path:
    if "://" in text and not text.startswith("file://"):
        raise InvalidParameterError(
            f"registry {text!r} is not supported; runreport's registry is a stages.yaml file "
            "(give its path or a file:// URI)"
        )
    from runreport.models.uri import local_path_from_uri

    path = local_path_from_uri(text).absolute()
    return path / DEFAULT_FILE if path.is_dir() else path


def display_label(path: Path) -> str:
    """How messages name ``path``: relative to the current directory when inside it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class RegistryFile:
    """One stages.yaml on disk (it may not exist yet: an empty registry)."""

    path: Path

    @property
    def label(self) -> str:
        return display_label(self.path)

    @property
    def folder(self) -> Path:
        """The folder relative source paths are resolved against."""
        return self.path.parent

    def read_text(self) -> str:
        """The file's text; empty when the file does not exist.

        Raises:
            YamlFileError: the path is not a regular file (a named pipe, a folder...), is larger
                than the YAML size limit, or is not UTF-8 text.
        """
        try:
            data = _read_regular(self.path, yamlfile.MAX_BYTES)
        except FileNotFoundError:
            return ""
        except (OSError, ValueError) as exc:
            raise yamlfile.YamlFileError(self.label, None, str(exc)) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise yamlfile.YamlFileError(
                self.label, line, f"not UTF-8 text ({exc.reason})"
            ) from None

    def load(self) -> stages.Registry:
        """The validated records of the file.

        Raises:
            RegistryFormatError: the file breaks the schema.
            YamlFileError: the file is not safe, well-formed YAML.
        """
        return stages.parse_registry(self.read_text(), self.label)

    def edit(self, change: Callable[[Any, stages.Registry], tuple[Any, T]]) -> T:
        """Apply ``change(root, records) -> (root, result)`` under a lock and save the file.

        The file must be valid before the change and is checked again after it, before anything
        is written; the write replaces the file atomically.
        """
        from runreport.store.files import atomic_write, locked

        if not self.folder.is_dir():
            raise ResourceNotFoundError(
                f"cannot write the registry {self.label}: folder {self.folder} does not exist"
            )
        with locked(self.folder):
            text = self.read_text()
            records, root, problems = stages.read_registry(text, self.label)
            if problems:
                raise stages.RegistryFormatError(problems)
            was_empty = root is None
            root, result = change(root, records)
            new_text = _render(root, text, was_empty)
            stages.parse_registry(new_text, self.label)
            if new_text != text:
                atomic_write(self.path.resolve(), new_text)
        return result


def _read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file (symlinks followed) of at most ``limit`` bytes, without
    blocking: a named pipe, device or folder is refused rather than opened for a read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file; the registry must be a YAML file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"file is larger than {limit} bytes")
    return data


def _render(root: Any, original: str, was_empty: bool) -> str:
    rendered = yamlfile.dump(root, yamlfile.guess_indent(original))
    if was_empty and original.strip():
        return original.rstrip("\n") + "\n" + rendered  # a file of comments only: keep them
    return rendered
