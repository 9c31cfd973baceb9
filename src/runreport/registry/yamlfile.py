"""Safe round-trip YAML for hand-edited files (stages.yaml, runreport.yaml).

Files are read with ruamel.yaml's round-trip loader so an edit keeps the author's comments, key
order, quoting and flow style. Before anything is constructed the node graph is checked: only
plain YAML types are allowed (no ``!!python/object`` or custom tags), anchors and aliases are
refused (no alias bombs), duplicate keys, several documents and very deep nesting are errors. Every
error carries the 1-based line it is about.
"""

from __future__ import annotations

import io
import re
from typing import Any

from runreport.exceptions import InvalidParameterError

# Round-trip parsing is slow (about 10 s per MB here): 1 MiB holds thousands of models and keeps
# a hostile file in a pull request from stalling a build for minutes.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_INDENT = 512

_CORE = "tag:yaml.org,2002:"
_COMPACT = re.compile(r"(?:[-?][ \t]+)*")
_ALLOWED_TAGS = frozenset(
    _CORE + name for name in ("null", "bool", "int", "float", "str", "map", "seq", "timestamp")
)


class YamlFileError(InvalidParameterError):
    """A YAML file that cannot be used; ``str()`` is ``FILE:LINE: reason``."""

    def __init__(self, label: str, line: int | None, reason: str) -> None:
        self.label = label
        self.line = line
        self.reason = reason
        where = f"{label}:{line}" if line is not None else label
        super().__init__(f"{where}: {reason}")


def load(text: str, label: str) -> Any:
    """Parse one YAML document into round-trip objects (CommentedMap...); None when empty.

    Args:
        text: the file's text.
        label: how messages name the file (``stages.yaml``).

    Raises:
        YamlFileError: malformed YAML, a tag, anchor or alias, a duplicate key, several
            documents, or a file too large or nested too deep.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    if len(text) > MAX_BYTES:
        raise YamlFileError(label, None, f"file is larger than {MAX_BYTES:,} bytes")
    _check_depth(text, label)
    yaml = _yaml()
    try:
        node = yaml.compose(text)
        if node is None:
            return None
        _check_nodes(node, label)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        raise YamlFileError(label, _mark_line(exc), _describe(exc)) from None
    except ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        reason = str(exc).splitlines()[0]
        raise YamlFileError(label, line, f"malformed YAML: {reason}") from None
    except YAMLError as exc:
        raise YamlFileError(label, None, f"malformed YAML: {exc}") from None
    except RecursionError:
        raise YamlFileError(label, None, "YAML nests too deeply") from None


def dump(data: Any, indent: int = 2) -> str:
    """Serialize round-trip objects back to text, keeping comments and styles."""
    yaml = _yaml()
    yaml.indent(mapping=indent, sequence=indent, offset=0)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def guess_indent(text: str) -> int:
    """The mapping indentation a file uses (the smallest indentation of a key line), else 2."""
    indents = [
        len(line) - len(line.lstrip(" "))
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    ]
    positive = [width for width in indents if width > 0]
    return min(positive) if positive else 2


def key_line(mapping: Any, key: Any) -> int | None:
    """The 1-based line of ``key`` in a loaded mapping (None for mappings built in code)."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def value_line(mapping: Any, key: Any) -> int | None:
    """The 1-based line of the value of ``key`` in a loaded mapping."""
    try:
        return int(mapping.lc.value(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def node_line(obj: Any) -> int | None:
    """The 1-based line where a loaded mapping or sequence starts."""
    try:
        return int(obj.lc.line) + 1
    except (AttributeError, TypeError):
        return None


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.allow_duplicate_keys = False
    return yaml


def _check_depth(text: str, label: str) -> None:
    """Refuse absurd nesting before parsing: the parser recurses, and slowly, per level.

    Flow collections are counted by their brackets; block collections by the indentation
    levels that enclose a line plus the ``- `` and ``? `` indicators that start it.
    """
    depth, quote = 0, ""
    indents: list[int] = []  # indentation of the block lines enclosing the current one
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if indent > MAX_INDENT:
            raise YamlFileError(label, number, f"YAML nests too deeply (indented > {MAX_INDENT})")
        if not quote and not depth and stripped and not stripped.startswith("#"):
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            prefix = _COMPACT.match(stripped)
            indicators = prefix.group() if prefix else ""
            block = len(indents) + indicators.count("-") + indicators.count("?")
            if block > MAX_DEPTH:
                raise YamlFileError(label, number, f"YAML nests too deeply (> {MAX_DEPTH})")
        previous = " "
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#" and previous in " \t":  # a comment; ``a#b`` is text
                break
            elif char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlFileError(label, number, f"YAML nests too deeply (> {MAX_DEPTH})")
            elif char in "]}":
                depth = max(depth - 1, 0)
            previous = char


def _check_nodes(root: Any, label: str) -> None:
    """Refuse tags and aliases, walking the composed graph without expanding anything."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        line = node.start_mark.line + 1
        if id(node) in seen or node.anchor:
            raise YamlFileError(
                label, line, "anchors and aliases (&name, *name) are not allowed; write values out"
            )
        seen.add(id(node))
        tag = str(node.tag)
        if tag not in _ALLOWED_TAGS:
            raise YamlFileError(
                label, line, f"YAML tag {_short(tag)!r} is not allowed; use plain values"
            )
        if isinstance(node, MappingNode):  # children pushed reversed: found in file order
            stack.extend(reversed([item for pair in node.value for item in pair]))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))


def _short(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _mark_line(exc: Any) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return None if mark is None else mark.line + 1


def _describe(exc: Any) -> str:
    problem = str(exc.problem or "malformed YAML")
    if "duplicate key" in problem:
        match = re.search(r'duplicate key "(.*?)"', problem)
        name = match.group(1) if match else "?"
        first = exc.context_mark.line + 1 if exc.context_mark is not None else None
        where = f" (first at line {first})" if first else ""
        return f"duplicate key {name!r}{where}"
    if "another document" in problem:
        return "the file must hold one YAML document, not several"
    context = f"{exc.context}: " if exc.context else ""
    return f"malformed YAML: {context}{problem}"
