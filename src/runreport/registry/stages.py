"""The ``stages.yaml`` schema: parse and validate it into records, every problem with its line.

Pure: text in, records and problems out (editing lives in :mod:`.edits`). The schema::

    models:
      <model name>:
        description: <text>                    # optional
        tags: {<key>: <text>}                   # optional
        versions:
          <integer>: {source: <model URI>, stage: <stage>, description: <text>, tags: {...}}
        aliases: {<alias>: <integer version>}   # optional

Stages are None, Staging, Production and Archived, matched case-insensitively (an absent or
null stage is None); records always hold the canonical spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from runreport.exceptions import InvalidParameterError
from runreport.registry import yamlfile

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
STAGES = (STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED)
ACTIVE_STAGES = (STAGE_STAGING, STAGE_PRODUCTION)

ROOT_KEYS = ("models",)
MODEL_KEYS = ("aliases", "description", "tags", "versions")
VERSION_KEYS = ("description", "source", "stage", "tags")

MAX_NAME_LENGTH = 256
_ALIAS_PATTERN = re.compile(r"^[\w\-]{1,255}$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file; ``str()`` is ``FILE:LINE: message``."""

    label: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.label}:{self.line}" if self.line is not None else self.label
        return f"{where}: {self.message}"


class RegistryFormatError(yamlfile.YamlFileError):
    """stages.yaml breaks the schema; ``problems`` lists every problem, the message the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = len(problems) - 1
        reason = first.message + (
            f" (and {more} more problem{'s' * (more > 1)}; see `runreport registry check`)"
            if more
            else ""
        )
        super().__init__(first.label, first.line, reason)


@dataclass
class VersionRecord:
    """One version as the file states it, with the lines of its parts."""

    version: int
    source: str
    stage: str = STAGE_NONE
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    stage_line: int | None = None
    source_line: int | None = None


@dataclass
class ModelRecord:
    """One registered model as the file states it."""

    name: str
    description: str | None = None
    versions: dict[int, VersionRecord] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    line: int | None = None
    alias_lines: dict[str, int | None] = field(default_factory=dict)


@dataclass
class Registry:
    """Every model in one stages.yaml, in file order."""

    label: str
    models: dict[str, ModelRecord] = field(default_factory=dict)


def canonical_stage(value: object) -> str:
    """The canonical spelling of a stage given in any case (None and "" mean ``None``).

    Raises:
        InvalidParameterError: not one of None, Staging, Production, Archived.
    """
    if value is None or value == "":
        return STAGE_NONE
    if isinstance(value, str):
        for stage in STAGES:
            if value.strip().lower() == stage.lower():
                return stage
    raise InvalidParameterError(
        f"stage {value!r} is not valid; expected one of {', '.join(STAGES)}"
    )


def alias_problem(alias: object) -> str | None:
    """Why ``alias`` cannot name a version (MLflow's rules), or None when it can."""
    if not isinstance(alias, str) or not _ALIAS_PATTERN.match(alias):
        return (
            f"alias {alias!r} is not valid; aliases hold letters, digits, '_' and '-' "
            "(1 to 255 characters)"
        )
    if alias.lower() == "latest" or _VERSION_ALIAS.match(alias):
        return f"alias {alias!r} is reserved ('latest' and v<number> name versions already)"
    return None


def model_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a registered model, or None when it can."""
    if not isinstance(name, str) or not name.strip():
        return f"model name {name!r} must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH or any(char in name for char in "/@\n\r\t"):
        return (
            f"model name {name!r} is not valid; names are at most {MAX_NAME_LENGTH} "
            "characters, without '/', '@', tabs or line breaks"
        )
    return None


def parse_registry(text: str, label: str = "stages.yaml") -> Registry:
    """Parse and validate stages.yaml text.

    Args:
        text: the file's text; an empty file is an empty registry.
        label: how messages name the file.

    Raises:
        RegistryFormatError: the file breaks the schema (the message names the first problem).
        YamlFileError: the text is not safe, well-formed YAML.
    """
    registry, _, problems = read_registry(text, label)
    if problems:
        raise RegistryFormatError(problems)
    return registry


def read_registry(text: str, label: str = "stages.yaml") -> tuple[Registry, Any, list[Problem]]:
    """Parse stages.yaml text into records, the round-trip tree and every schema problem.

    Entries with problems are left out of the records. Malformed YAML raises YamlFileError.
    """
    root = yamlfile.load(text, label)
    return validate(root, label)


def validate(root: Any, label: str) -> tuple[Registry, Any, list[Problem]]:
    """Validate a loaded tree; returns the records, the tree and the problems found."""
    checker = _Checker(label)
    registry = Registry(label)
    if root is None:
        return registry, root, []
    if not isinstance(root, dict):
        checker.add(1, "the file must be a mapping with a top-level 'models:' key")
        return registry, root, checker.problems
    checker.unknown_keys(root, ROOT_KEYS, "at the top level")
    models = root.get("models")
    if models is None:
        return registry, root, checker.problems
    if not checker.is_mapping(models, yamlfile.key_line(root, "models"), "'models'"):
        return registry, root, checker.problems
    for name, body in models.items():
        model = checker.model(name, body, yamlfile.key_line(models, name))
        if model is not None:
            registry.models[name] = model
    return registry, root, checker.problems


class _Checker:
    """Collects problems while turning the tree into records."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.label, line, message))

    def unknown_keys(self, mapping: Any, allowed: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.add(
                    yamlfile.key_line(mapping, key),
                    f"unknown key {key!r} {where}; expected one of {', '.join(allowed)}",
                )

    def is_mapping(self, value: Any, line: int | None, what: str) -> bool:
        if isinstance(value, dict):
            return True
        self.add(line, f"{what} must be a mapping, not {_kind(value)}")
        return False

    def text(self, mapping: Any, key: str, what: str) -> str | None:
        value = mapping.get(key)
        if value is None or isinstance(value, str):
            return value
        self.add(
            yamlfile.value_line(mapping, key),
            f"{what} must be text, not {_kind(value)} (quote it)",
        )
        return None

    def tags(self, mapping: Any, what: str) -> dict[str, str]:
        value = mapping.get("tags")
        line = yamlfile.key_line(mapping, "tags")
        if value is None or not self.is_mapping(value, line, f"tags of {what}"):
            return {}
        tags: dict[str, str] = {}
        for key, text in value.items():
            if isinstance(key, str) and isinstance(text, str):
                tags[key] = text
            else:
                self.add(
                    yamlfile.key_line(value, key),
                    f"tag {key!r} of {what} must map a text key to a text value (quote it)",
                )
        return tags

    def model(self, name: Any, body: Any, line: int | None) -> ModelRecord | None:
        problem = model_name_problem(name)
        if problem:
            self.add(line, problem)
            return None
        what = f"model {name!r}"
        if body is None:
            body = {}
        if not self.is_mapping(body, line, what):
            return None
        self.unknown_keys(body, MODEL_KEYS, f"in {what}")
        record = ModelRecord(name, self.text(body, "description", f"description of {what}"))
        record.tags = self.tags(body, what)
        record.line = line
        self.versions(record, body)
        self.aliases(record, body)
        return record

    def versions(self, record: ModelRecord, body: Any) -> None:
        versions = body.get("versions")
        line = yamlfile.key_line(body, "versions")
        if versions is None:
            return
        if not self.is_mapping(versions, line, f"versions of model {record.name!r}"):
            return
        for number, entry in versions.items():
            version = self.version(record.name, number, entry, versions)
            if version is not None:
                record.versions[number] = version

    def version(self, name: str, number: Any, entry: Any, versions: Any) -> VersionRecord | None:
        line = yamlfile.key_line(versions, number)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            hint = " (write 2, not '2')" if isinstance(number, str) and number.isdigit() else ""
            self.add(line, f"version {number!r} of model {name!r} must be a positive integer{hint}")
            return None
        what = f"version {number} of model {name!r}"
        if not self.is_mapping(entry, line, what):
            return None
        self.unknown_keys(entry, VERSION_KEYS, f"in {what}")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            self.add(line, f"{what} needs a source (a model URI such as runs:/<run_id>/model)")
            return None
        record = VersionRecord(number, source, line=line)
        record.source_line = yamlfile.value_line(entry, "source")
        record.stage_line = yamlfile.value_line(entry, "stage") or line
        try:
            record.stage = canonical_stage(entry.get("stage"))
        except InvalidParameterError as exc:
            self.add(record.stage_line, f"{what}: {exc}")
        record.description = self.text(entry, "description", f"description of {what}")
        record.tags = self.tags(entry, what)
        return record

    def aliases(self, record: ModelRecord, body: Any) -> None:
        aliases = body.get("aliases")
        line = yamlfile.key_line(body, "aliases")
        if aliases is None:
            return
        if not self.is_mapping(aliases, line, f"aliases of model {record.name!r}"):
            return
        versions = body.get("versions")
        declared = list(versions) if isinstance(versions, dict) else []
        for alias, target in aliases.items():
            alias_line = yamlfile.key_line(aliases, alias)
            problem = alias_problem(alias)
            if problem is None and (isinstance(target, bool) or not isinstance(target, int)):
                problem = f"alias {alias!r} must name a version number, not {target!r}"
            elif problem is None and target not in declared:
                known = ", ".join(str(v) for v in declared) or "none"
                problem = (
                    f"alias {alias!r} of model {record.name!r} points to version {target}, "
                    f"which does not exist; versions: {known}"
                )
            if problem:
                self.add(alias_line, problem)
                continue
            record.aliases[alias] = target
            record.alias_lines[alias] = alias_line


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else f"{type(value).__name__} {value}"
