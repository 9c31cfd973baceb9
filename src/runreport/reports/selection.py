"""Which runs a report compares: resolving run ids and model URIs, picking runs for a change."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.tracking.context import TAG_GIT_COMMIT
from runreport.tracking.entities import Run


@dataclass(frozen=True, slots=True)
class Resolved:
    """A run and how the user named it (shown as the baseline's label)."""

    run: Run
    label: str


def _run_of_source(client: Any, source: str, what: str) -> Run:
    if not source.startswith("runs:/"):
        raise InvalidParameterError(
            f"{what} resolves to {source!r}, which is not a run's model (runs:/<run_id>/...); "
            "a comparison needs the run that produced it"
        )
    run_id = source[len("runs:/") :].strip("/").split("/", 1)[0]
    return client.get_run(run_id)


def resolve(client: Any, text: str, candidates: list[Run] | None = None) -> Resolved:
    """A run from a run id, ``runs:/<id>/...``, ``models:/NAME/STAGE|VERSION|latest``,
    ``models:/NAME@ALIAS`` or ``@ALIAS`` (the one registered model that has that alias).

    Raises:
        ResourceNotFoundError: nothing matches; the message lists what exists.
    """
    if text.startswith("runs:/"):
        run = _run_of_source(client, text, text)
        return Resolved(run, run.info.run_name)
    if text.startswith("models:/"):
        return Resolved(
            _run_of_source(client, client.resolve_model_uri(text), text), text[len("models:/") :]
        )
    if text.startswith("@"):
        name = _model_with_alias(client, text[1:], candidates or [])
        uri = f"models:/{name}{text}"
        return Resolved(_run_of_source(client, client.resolve_model_uri(uri), uri), f"{name}{text}")
    run = client.get_run(text)
    return Resolved(run, run.info.run_name)


def _model_with_alias(client: Any, alias: str, candidates: list[Run]) -> str:
    models = [m for m in client.search_registered_models() if alias in m.aliases]
    if not models:
        raise ResourceNotFoundError(f"no registered model has the alias {alias!r}")
    if len(models) > 1:
        experiments = {r.info.experiment_id for r in candidates}
        related = [m for m in models if _experiment_of(client, m, alias) in experiments]
        if len(related) == 1:
            return related[0].name
        names = ", ".join(sorted(m.name for m in models))
        raise InvalidParameterError(
            f"several registered models have the alias {alias!r} ({names}); "
            f"use models:/NAME@{alias}"
        )
    return models[0].name


def _experiment_of(client: Any, model: Any, alias: str) -> str | None:
    try:
        version = client.get_model_version_by_alias(model.name, alias)
        return client.get_run(version.run_id).info.experiment_id if version.run_id else None
    except ResourceNotFoundError:
        return None


def git_output(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InvalidParameterError(f"git is needed to pick runs for a change: {exc}") from None
    if done.returncode != 0:
        raise InvalidParameterError(
            f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}"
        )
    return done.stdout.strip()


def runs_for_change(runs: list[Run], commit: str | None, since: str | None) -> list[Run]:
    """Runs logged from ``commit`` (default HEAD) by their git tag, or started after ``since``."""
    if since is not None:
        cutoff = int(git_output("log", "-1", "--format=%ct", since)) * 1000
        return [r for r in runs if (r.info.start_time or 0) > cutoff]
    sha = git_output("rev-parse", commit or "HEAD")
    return [r for r in runs if r.data.tags.get(TAG_GIT_COMMIT) == sha]


def production_baseline(client: Any, experiment_id: str) -> Resolved | None:
    """The Production version of a registered model whose source run is in the experiment."""
    for model in client.search_registered_models():
        for version in client.get_latest_versions(model.name, stages=["Production"]):
            if not version.run_id:
                continue
            try:
                run = client.get_run(version.run_id)
            except ResourceNotFoundError:
                continue
            if run.info.experiment_id == experiment_id:
                return Resolved(run, f"{model.name} v{version.version} (Production)")
    return None


def best_run(runs: list[Run], metric: str | None, higher_is_better: bool | None) -> Run | None:
    """The run with the best value of ``metric`` (NaN and missing never win)."""
    if metric is None or higher_is_better is None:
        return None
    scored = [
        r
        for r in runs
        if metric in r.data.metrics and r.data.metrics[metric] == r.data.metrics[metric]
    ]
    if not scored:
        return None
    pick = max if higher_is_better else min
    return pick(scored, key=lambda r: r.data.metrics[metric])
