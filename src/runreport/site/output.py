"""Writing the site folder: only files whose bytes changed, and a manifest for the next build.

The manifest (``.runreport-build.json``) records every file the build owns and, per run, a
key (a hash of everything its page shows) and its files. The next build reuses a run whose key
is unchanged without reading its history or rendering its page, removes the files of runs that
are gone, and leaves files it does not own alone. Every file is compared with what is on disk
before it is written, so an unchanged file keeps its modification time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from runreport.site.paths import MANIFEST

MANIFEST_VERSION = 1


@dataclass(slots=True)
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    written_paths: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # artifacts that changed since the scan


@dataclass(frozen=True, slots=True)
class _Source:
    """An artifact to copy, and the rules it was published under."""

    path: Path
    root: Path  # the folder it must resolve inside
    max_links: int = 1

    def open(self) -> Any:
        """The file opened for reading, after checking it is still publishable.

        Raises:
            OSError: it is a symlink (``O_NOFOLLOW``) or cannot be opened.
            ValueError: it resolves outside ``root``, is not a regular file or has more names.
        """
        root = os.path.realpath(self.root)
        folder = os.path.realpath(self.path.parent)
        if folder != root and not folder.startswith(root + os.sep):
            raise ValueError("resolves outside the run folder")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > self.max_links:
            os.close(fd)
            raise ValueError("not a regular file with a single name")
        return os.fdopen(fd, "rb")


@dataclass(slots=True)
class SiteWriter:
    """Collects the build's files, then writes them in one pass (:meth:`commit`)."""

    root: Path
    fingerprint: str
    previous: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    copies: dict[str, _Source] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path, fingerprint: str) -> SiteWriter:
        writer = cls(Path(root), fingerprint)
        writer.previous = _load_manifest(writer.root / MANIFEST, fingerprint)
        return writer

    # ------------------------------------------------------------ collecting

    def add(self, path: str, content: str | bytes) -> None:
        _check(path)
        # "replace": a lone surrogate (possible in a hand-edited run.json) must not stop a build.
        data = content.encode("utf-8", "replace") if isinstance(content, str) else content
        self.files[path] = data

    def copy(self, path: str, source: Path, root: Path | None = None, max_links: int = 1) -> None:
        """Copy ``source`` to ``path`` when committing; ``root`` is the folder it must stay in.

        The source is checked again when it is copied: it must still be a regular file inside
        ``root`` with at most ``max_links`` names, read without following a symlink.
        """
        _check(path)
        self.copies[path] = _Source(Path(source), Path(root or Path(source).parent), max_links)

    def previous_run(self, run_id: str, key: str) -> list[str] | None:
        """The files of ``run_id`` from the last build if its key is unchanged and they exist."""
        entry = self.previous.get("runs", {}).get(run_id)
        if not entry or entry.get("key") != key:
            return None
        files = list(entry.get("files", []))
        if not all((self.root / f).is_file() for f in files if not f.endswith("/")):
            return None
        return files

    def record_run(self, run_id: str, key: str, files: list[str]) -> None:
        self.runs[run_id] = {"key": key, "files": sorted(files)}

    def keep(self, paths: list[str]) -> None:
        self.kept.update(paths)

    def previous_extra(self, name: str) -> Any:
        return self.previous.get("extra", {}).get(name)

    # ------------------------------------------------------------ writing

    def commit(self) -> WriteStats:
        stats = WriteStats()
        self.root.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.files):
            self._write(path, self.files[path], stats)
        for path in sorted(self.copies):
            self._copy(path, self.copies[path], stats)
        owned = set(self.files) | set(self.copies) | self.kept
        for path in sorted(set(self.previous.get("files", [])) - owned):
            self._remove(path, stats)
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "fingerprint": self.fingerprint,
            "files": sorted(owned),
            "runs": dict(sorted(self.runs.items())),
            "extra": self.extra,
        }
        text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
        self._write(MANIFEST, text.encode("utf-8"), WriteStats())
        return stats

    def _write(self, path: str, data: bytes, stats: WriteStats) -> None:
        target = self.root / path
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                stats.unchanged += 1
                return
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".tmp-{target.name}")
        temp.write_bytes(data)
        os.replace(temp, target)
        stats.written += 1
        stats.written_paths.append(path)

    def _copy(self, path: str, source: _Source, stats: WriteStats) -> None:
        target = self.root / path
        try:
            handle = source.open()
        except (OSError, ValueError) as exc:
            # Changed since the scan (now a symlink, a hard link, gone...): never published.
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            stats.refused.append(f"{source.path}: {exc}")
            return
        with handle:
            src = os.fstat(handle.fileno())
            try:
                dst = target.stat()
                if src.st_size == dst.st_size and src.st_mtime_ns == dst.st_mtime_ns:
                    stats.unchanged += 1
                    return
            except FileNotFoundError:
                pass
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".tmp-{target.name}")
            with open(temp, "wb") as out:
                shutil.copyfileobj(handle, out)
            os.utime(temp, ns=(src.st_atime_ns, src.st_mtime_ns))
        os.replace(temp, target)
        stats.written += 1
        stats.written_paths.append(path)

    def _remove(self, path: str, stats: WriteStats) -> None:
        target = self.root / path
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
            stats.removed += 1
        parent = target.parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def _check(path: str) -> None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or not path:
        raise ValueError(f"site path {path!r} must be relative and stay inside the site")


def _load_manifest(path: Path, fingerprint: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("manifest_version") != MANIFEST_VERSION:
        return {}
    if data.get("fingerprint") != fingerprint:
        data["runs"] = {}  # templates or options changed: every run page is made again
    return data
