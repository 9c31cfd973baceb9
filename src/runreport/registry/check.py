"""``runreport registry check``: validate stages.yaml for a pull-request check.

Finds every problem, not just the first: YAML errors, schema errors (unknown keys, stages,
non-integer versions, duplicate versions, aliases pointing nowhere), sources whose run or model
files are missing, and broken promotion policies from the configuration. Each problem is a
:class:`~runreport.registry.stages.Problem` printed as ``stages.yaml:LINE: message``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from runreport.config import Config, MaxVersionsPolicy, RequirePolicy, load_config
from runreport.exceptions import RunReportError
from runreport.registry import yamlfile
from runreport.registry.location import RegistryFile, registry_path
from runreport.registry.sources import run_id_of, source_problem
from runreport.registry.stages import ModelRecord, Problem, Registry, read_registry


@dataclass
class CheckReport:
    """What ``check_registry`` found; ``ok`` when there are no problems."""

    label: str
    problems: list[Problem] = field(default_factory=list)
    models: int = 0
    versions: int = 0
    policies: int = 0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def summary(self) -> str:
        """One line: OK with counts, or the number of problems."""
        counts = (
            f"{self.models} model{'s' * (self.models != 1)}, "
            f"{self.versions} version{'s' * (self.versions != 1)}, "
            f"{self.policies} polic{'ies' if self.policies != 1 else 'y'}"
        )
        if self.ok:
            return f"{self.label}: OK ({counts})"
        count = len(self.problems)
        return f"{self.label}: {count} problem{'s' * (count != 1)} ({counts})"


def check_registry(
    registry_uri: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    client: Any = None,
) -> CheckReport:
    """Check the registry file, its sources and the configured policies.

    Args:
        registry_uri: the stages.yaml to check (default: the registry in force).
        config: the configuration holding the policies (default: loaded from the current
            directory).
        client: a ``runreport.Client`` whose runs folder ``runs:/`` sources are looked up in.

    Raises:
        ConfigError: the configuration file is invalid.
    """
    from runreport.tracking.client import Client

    config = config if config is not None else load_config()
    client = client if client is not None else Client()
    file = RegistryFile(registry_path(registry_uri))
    report = CheckReport(file.label, policies=len(config.registry.policies))
    if not file.path.is_file():
        report.problems.append(Problem(file.label, None, f"{file.path} does not exist"))
        return report
    try:
        registry, _, problems = read_registry(file.read_text(), file.label)
    except yamlfile.YamlFileError as exc:
        report.problems.append(Problem(file.label, exc.line, exc.reason))
        return report
    report.models = len(registry.models)
    report.versions = sum(len(model.versions) for model in registry.models.values())
    report.problems.extend(problems)
    report.problems.extend(_source_problems(file, registry, client))
    report.problems.extend(_policy_problems(file, registry, config, client))
    report.problems.sort(key=lambda problem: problem.line or 0)
    return report


def _source_problems(file: RegistryFile, registry: Registry, client: Any) -> list[Problem]:
    problems = []
    for model in registry.models.values():
        for record in model.versions.values():
            reason = source_problem(record.source, file.folder, client)
            if reason:
                message = f"version {record.version} of model {model.name!r}: {reason}"
                problems.append(Problem(file.label, record.source_line, message))
    return problems


def _policy_problems(
    file: RegistryFile, registry: Registry, config: Config, client: Any
) -> list[Problem]:
    problems: list[Problem] = []
    for policy in config.registry.policies:
        for model in registry.models.values():
            if not policy.applies_to(model.name):
                continue
            if isinstance(policy, MaxVersionsPolicy):
                problems.extend(_count_problems(file, model, policy))
            else:
                problems.extend(_require_problems(file, model, policy, client))
    return problems


def _count_problems(
    file: RegistryFile, model: ModelRecord, policy: MaxVersionsPolicy
) -> list[Problem]:
    problems = []
    for stage, limit in policy.limits.items():
        held = [r for r in model.versions.values() if r.stage == stage]
        if len(held) > limit:
            numbers = ", ".join(str(r.version) for r in held)
            message = (
                f"model {model.name!r} has {len(held)} versions in {stage} ({numbers}); the "
                f"policy at {policy.where} allows at most {limit}"
            )
            problems.append(Problem(file.label, held[-1].stage_line or model.line, message))
    return problems


def _require_problems(
    file: RegistryFile, model: ModelRecord, policy: RequirePolicy, client: Any
) -> list[Problem]:
    from runreport.search import compile_filter

    matches = compile_filter(policy.filter)
    problems = []
    for record in model.versions.values():
        if record.stage != policy.stage:
            continue
        what = f"version {record.version} of model {model.name!r} is in {policy.stage}, but"
        reason = _run_failure(record.source, file, client, matches, policy.filter)
        if reason:
            message = f"{what} {reason} (policy at {policy.where})"
            problems.append(Problem(file.label, record.stage_line, message))
    return problems


def _run_failure(source: str, file: RegistryFile, client: Any, matches: Any, text: str) -> str:
    run_id = run_id_of(source, file.folder)
    if run_id is None:
        return f"its source {source!r} names no run to check {text!r} against"
    try:
        run = client.get_run(run_id)
    except RunReportError as exc:
        return f"its source run cannot be read ({exc}), so {text!r} cannot be checked"
    if matches(run):
        return ""
    values = _metric_values(run, text)
    return f"its source run {run_id} does not satisfy {text!r}" + (f" ({values})" if values else "")


def _metric_values(run: Any, text: str) -> str:
    from runreport.search import Comparison, parse_filter

    keys: list[str] = []
    stack = [parse_filter(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, Comparison):
            if node.entity == "metric" and node.key not in keys:
                keys.append(node.key)
        elif node is not None:
            stack.extend(node.items)
    metrics = run.data.metrics
    shown = [f"{key} = {metrics[key]:g}" if key in metrics else f"{key} not logged" for key in keys]
    return "; ".join(sorted(shown))
