"""Project configuration: ``runreport.yaml`` or ``[tool.runreport]`` in ``pyproject.toml``.

The file is looked up in one folder (the current directory by default): ``runreport.yaml``
wins; otherwise the ``[tool.runreport]`` table of ``pyproject.toml``; otherwise defaults.
It is loaded into a frozen :class:`Config`, one field per top-level section, and every unknown
key or bad value is an error naming the file, the line (YAML) or table (TOML) and what is
allowed. Sections: ``registry`` (the stages.yaml path and promotion policies), ``metrics``
(direction, display name, format and noise threshold per metric), ``experiments`` (the primary
metric of each experiment), the last two in :mod:`runreport.config_metrics`, and ``site`` (what
``runreport build`` keeps out of the published site) in :mod:`runreport.config_site`.

To add a section: a dataclass for it, a field on :class:`Config`, and a parser in
:data:`_SECTIONS` taking ``(value, origin)``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runreport.config_metrics import (
    ExperimentsConfig,
    MetricsConfig,
    experiments_section,
    metrics_section,
)
from runreport.config_site import SiteConfig, site_section
from runreport.exceptions import ConfigError

CONFIG_FILE = "runreport.yaml"
PYPROJECT_FILE = "pyproject.toml"
PYPROJECT_TABLE = "tool.runreport"


@dataclass(frozen=True)
class MaxVersionsPolicy:
    """At most ``limits[stage]`` versions of a model may be in ``stage`` at once."""

    limits: dict[str, int]
    models: tuple[str, ...] = ()
    where: str = ""

    def applies_to(self, model: str) -> bool:
        """Whether the policy covers ``model`` (every model when ``models`` is empty)."""
        return _matches(self.models, model)


@dataclass(frozen=True)
class RequirePolicy:
    """Every version in ``stage`` must come from a run matching ``filter`` (search syntax)."""

    stage: str
    filter: str
    models: tuple[str, ...] = ()
    where: str = ""

    def applies_to(self, model: str) -> bool:
        """Whether the policy covers ``model`` (every model when ``models`` is empty)."""
        return _matches(self.models, model)


Policy = MaxVersionsPolicy | RequirePolicy


@dataclass(frozen=True)
class RegistryConfig:
    """The ``registry:`` section: where stages.yaml is, and the promotion policies."""

    path: Path | None = None
    policies: tuple[Policy, ...] = ()


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` names the file it came from (None: defaults)."""

    registry: RegistryConfig = field(default_factory=RegistryConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    experiments: ExperimentsConfig = field(default_factory=ExperimentsConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    source: str | None = None

    def metric_semantics(self) -> SemanticsTable:
        """A mapping that gives the configured (or default) semantics of any metric key."""
        return SemanticsTable(self.metrics)

    def primary_metrics(self) -> dict[str, str]:
        """Primary metric by experiment name."""
        return dict(self.experiments.primary_metrics)


class SemanticsTable(dict):  # type: ignore[type-arg]
    """``{key: MetricSemantics}`` computed on lookup from the ``metrics:`` rules (globs too)."""

    def __init__(self, metrics: MetricsConfig) -> None:
        super().__init__()
        self._metrics = metrics

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __missing__(self, key: str) -> Any:
        value = self[key] = self._metrics.semantics(key)
        return value


def _matches(patterns: tuple[str, ...], name: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class _Origin:
    """Where a value came from, to name it in messages: a YAML line or a TOML table."""

    label: str
    folder: Path
    toml: bool = False

    def table(self, path: str) -> str:
        """``pyproject.toml [tool.runreport.registry]``."""
        return f"{self.label} [{PYPROJECT_TABLE}{'.' + path if path else ''}]"

    def error(
        self, mapping: Any, key: Any, path: str, message: str, line: int | None = None
    ) -> ConfigError:
        if self.toml:
            return ConfigError(f"{self.table(path)}: {message}")
        from runreport.registry import yamlfile

        if line is None and key is not None:
            line = yamlfile.key_line(mapping, key)
        line = line or yamlfile.node_line(mapping)
        return ConfigError(
            f"{self.label}:{line}: {message}" if line else f"{self.label}: {message}"
        )


def load_config(folder: str | Path | None = None) -> Config:
    """Load the configuration of ``folder`` (default: the current directory).

    Args:
        folder: where to look for runreport.yaml or pyproject.toml.

    Raises:
        ConfigError: the file is malformed, has an unknown key or a bad value.
    """
    base = Path(folder) if folder is not None else Path.cwd()
    yaml_file = base / CONFIG_FILE
    if yaml_file.is_file():
        return _load_yaml(yaml_file)
    toml_file = base / PYPROJECT_FILE
    if toml_file.is_file():
        return _load_pyproject(toml_file)
    return Config()


def _load_yaml(path: Path) -> Config:
    from runreport.registry import yamlfile

    origin = _Origin(path.name, path.parent.absolute())
    try:
        data = yamlfile.load(path.read_text(encoding="utf-8"), path.name)
    except yamlfile.YamlFileError as exc:
        raise ConfigError(str(exc)) from None
    return parse_config(data, origin)


def _load_pyproject(path: Path) -> Config:
    tomllib = _tomllib()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None
    table = document.get("tool", {}).get("runreport")
    if table is None:
        return Config()
    return parse_config(table, _Origin(path.name, path.parent.absolute(), toml=True))


def _tomllib() -> Any:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError(
                f"reading [{PYPROJECT_TABLE}] from {PYPROJECT_FILE} needs Python 3.11 or the "
                f"'tomli' package (pip install tomli); or move the settings to {CONFIG_FILE}"
            ) from None
    return tomllib


def parse_config(data: Any, origin: _Origin) -> Config:
    """Validate a loaded mapping into a :class:`Config`."""
    if data is None:
        return Config(source=origin.label)
    if not isinstance(data, dict):
        raise origin.error(data, None, "", "the configuration must be a mapping of sections")
    _unknown_keys(data, tuple(_SECTIONS), origin, "")
    sections = {
        name: parse(data[name], origin) for name, parse in _SECTIONS.items() if name in data
    }
    return Config(**sections, source=origin.label)


def _unknown_keys(mapping: Any, allowed: tuple[str, ...], origin: _Origin, path: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise origin.error(
                mapping, key, path, f"unknown key {key!r}; expected one of {', '.join(allowed)}"
            )


def _registry_section(value: Any, origin: _Origin) -> RegistryConfig:
    if value is None:
        return RegistryConfig()
    if not isinstance(value, dict):
        raise origin.error(value, None, "registry", "'registry' must be a mapping")
    _unknown_keys(value, ("path", "policies"), origin, "registry")
    path = value.get("path")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise origin.error(value, "path", "registry", f"path must be a file path, not {path!r}")
    policies = value.get("policies") or []
    if not isinstance(policies, list):
        raise origin.error(value, "policies", "registry", "policies must be a list")
    return RegistryConfig(
        path=(origin.folder / path) if path else None,
        policies=tuple(_policy(policies, index, origin) for index in range(len(policies))),
    )


_POLICY_KINDS = ("max_versions_per_stage", "require")


def _policy(policies: Any, index: int, origin: _Origin) -> Policy:
    item, path = policies[index], f"registry.policies[{index}]"
    if not isinstance(item, dict):
        line = _item_line(policies, index)
        raise origin.error(item, None, path, f"each policy must be a mapping, not {item!r}", line)
    _unknown_keys(item, (*_POLICY_KINDS, "models"), origin, path)
    kinds = [kind for kind in _POLICY_KINDS if kind in item]
    if len(kinds) != 1:
        raise origin.error(
            item, None, path, f"a policy needs exactly one of {', '.join(_POLICY_KINDS)}"
        )
    models = _model_patterns(item, origin, path)
    where = _where(item, kinds[0], origin, path)
    if kinds[0] == "require":
        return _require_policy(item["require"], origin, path, models, where)
    return _max_versions_policy(item, origin, path, models, where)


def _item_line(sequence: Any, index: int) -> int | None:
    try:
        return int(sequence.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _where(item: Any, key: str, origin: _Origin, path: str) -> str:
    if origin.toml:
        return origin.table(path)
    from runreport.registry import yamlfile

    return f"{origin.label}:{yamlfile.key_line(item, key)}"


def _model_patterns(item: Any, origin: _Origin, path: str) -> tuple[str, ...]:
    models = item.get("models", [])
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise origin.error(item, "models", path, "models must be a list of model names or globs")
    return tuple(models)


def _max_versions_policy(
    item: Any, origin: _Origin, path: str, models: tuple[str, ...], where: str
) -> MaxVersionsPolicy:
    from runreport.registry.stages import canonical_stage

    limits = item["max_versions_per_stage"]
    if not isinstance(limits, dict) or not limits:
        raise origin.error(
            item,
            "max_versions_per_stage",
            path,
            "max_versions_per_stage maps stages to counts, e.g. {Production: 1}",
        )
    checked: dict[str, int] = {}
    for stage, count in limits.items():
        try:
            name = canonical_stage(stage)
        except ValueError as exc:
            raise origin.error(limits, stage, path, str(exc)) from None
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise origin.error(limits, stage, path, f"the limit for {name} must be a count >= 0")
        checked[name] = count
    return MaxVersionsPolicy(checked, models, where)


def _require_policy(
    value: Any, origin: _Origin, path: str, models: tuple[str, ...], where: str
) -> RequirePolicy:
    from runreport.registry.stages import canonical_stage
    from runreport.search import compile_filter

    path = f"{path}.require"
    if not isinstance(value, dict):
        raise origin.error(value, None, path, "require needs {stage: ..., filter: ...}")
    _unknown_keys(value, ("filter", "stage"), origin, path)
    for key in ("stage", "filter"):
        if not isinstance(value.get(key), str) or not value[key].strip():
            raise origin.error(value, key if key in value else None, path, f"require needs {key}")
    try:
        stage = canonical_stage(value["stage"])
    except ValueError as exc:
        raise origin.error(value, "stage", path, str(exc)) from None
    try:
        compile_filter(value["filter"])
    except ValueError as exc:
        raise origin.error(value, "filter", path, str(exc).partition("\n")[0]) from None
    return RequirePolicy(stage, value["filter"], models, where)


_SECTIONS: dict[str, Callable[[Any, _Origin], Any]] = {
    "registry": _registry_section,
    "metrics": metrics_section,
    "experiments": experiments_section,
    "site": site_section,
}
