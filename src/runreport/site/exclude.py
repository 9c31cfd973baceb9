"""Artifact globs that keep files and folders out of the site (``build --exclude``,
``site: {exclude: [...]}``).

A glob is matched against an artifact's path inside the run's ``artifacts/`` folder
(``model/model.pkl``), like a ``.gitignore`` line:

- a glob without ``/`` matches a file or folder name at any depth (``*.ckpt``, ``secrets``);
- a glob with ``/`` matches the whole path from the artifacts folder (``data/*.csv``); a leading
  ``/`` only anchors it (``/notes.txt`` is the top-level file alone);
- ``*`` and ``?`` stay within one path segment, ``**`` spans folders (``data/**``, ``**/tmp``);
  ``[abc]`` is a character class;
- a matched folder is left out with everything under it.

Matching is case-sensitive, as paths are on Linux.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


def pattern_problem(glob: str) -> str | None:
    """Why ``glob`` cannot be an exclude pattern, or None."""
    if not isinstance(glob, str) or not glob.strip("/ "):
        return f"exclude pattern {glob!r} is empty; give a glob such as '*.ckpt' or 'data/**'"
    if "\\" in glob or "\x00" in glob:
        return f"exclude pattern {glob!r} is not valid; use '/' between folders"
    if ".." in glob.split("/"):
        return f"exclude pattern {glob!r} is not valid; paths inside a run have no '..'"
    try:
        _compile(glob)
    except re.error as exc:
        return f"exclude pattern {glob!r} is not valid: {exc}"
    return None


@lru_cache(maxsize=256)
def _compile(glob: str) -> tuple[bool, re.Pattern[str]]:
    """(matches names only, regex) for one glob."""
    anchored = "/" in glob.rstrip("/")
    body = glob.strip("/")
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif body.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[" and "]" in body[index + 2 :]:
            end = body.index("]", index + 2)
            inner = body[index + 1 : end]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append(f"[{inner.replace('/', '')}]")
            index = end + 1
        else:
            out.append(re.escape(char))
            index += 1
    return not anchored, re.compile("".join(out) + r"\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Exclusions:
    """A set of exclude globs; :meth:`excludes` says whether one artifact path is left out."""

    globs: tuple[str, ...] = ()

    @classmethod
    def of(cls, globs: Iterable[str]) -> Exclusions:
        """Checked globs, without duplicates, in their order.

        Raises:
            ValueError: a glob is not valid (the message says why).
        """
        unique = tuple(dict.fromkeys(globs))
        for glob in unique:
            problem = pattern_problem(glob)
            if problem:
                raise ValueError(problem)
        return cls(unique)

    def excludes(self, path: str) -> bool:
        """Whether the artifact at ``path`` (relative, ``/``-separated) is kept out."""
        if not self.globs:
            return False
        name = path.rsplit("/", 1)[-1]
        for glob in self.globs:
            names_only, regex = _compile(glob)
            if regex.match(name if names_only else path):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.globs)
